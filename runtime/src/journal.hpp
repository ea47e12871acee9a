#pragma once
// The journal: a file of finished tasks, so that a run of the same program with the same
// journal completes those tasks from it instead of running them again (docs/faults.md).
//
//   header   "taskfarm journal 1\n" | u64 program fingerprint
//   record   u32 body size | u64 checksum of the body | body
//   body     u8 kind | key (two u64) | for a finished task: its result bytes
//
// Records are written with one write() each, so a killed process loses nothing it wrote;
// a torn last record (the process died while writing it) fails its checksum, is ignored
// and cut off. Each run starts with a run record; a task's started record comes from the
// worker that runs it, so a task that was running whenever the last two runs ended is
// known, and is not run a third time.

#include "wire.hpp"

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace taskfarm::detail {

class JournalError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TaskKey {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    friend bool operator==(const TaskKey&, const TaskKey&) = default;
};
struct TaskKeyHash {
    std::size_t operator()(const TaskKey& key) const { return key.low; }
};

// What a task is: its function and its serialized arguments (and, for a map's chunk, its size).
TaskKey key_of(const TaskSpec& spec);

class Journal {
public:
    // Opens the file (made with mode 0600 if missing) and reads what earlier runs wrote.
    // Throws JournalError for a file that is not a journal or belongs to another program.
    Journal(const std::string& path, std::uint64_t program);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // The result of a task an earlier run finished, or null.
    const Bytes* result(const TaskKey& key) const;
    // Started and never finished in each of the last two runs.
    bool poisoned(const TaskKey& key) const;
    std::size_t results() const { return finished_.size(); }

    void record_started(const TaskKey& key);
    void record_finished(const TaskKey& key, std::span<const char> result);

private:
    enum class Record : std::uint8_t { run = 1, started = 2, finished = 3 };
    void read_existing(std::uint64_t program);
    void append(Record kind, const TaskKey& key, std::span<const char> result = {});

    std::string path_;
    int fd_ = -1;
    std::unordered_map<TaskKey, Bytes, TaskKeyHash> finished_;
    struct Unfinished {
        std::uint32_t last_run;  // the last run it started in
        std::uint32_t runs;      // how many runs in a row, up to last_run, it started in and never finished
    };
    std::unordered_map<TaskKey, Unfinished, TaskKeyHash> unfinished_;
    std::uint32_t previous_runs_ = 0;
};

}  // namespace taskfarm::detail
