#pragma once
// The journal: a file of finished tasks, so that a run of the same program with the same
// journal completes those tasks from it instead of running them again (docs/faults.md).
//
//   header   "taskfarm journal 2\n" | u64 program fingerprint
//   record   head | body
//   head     marker "\xa7TFR" | u64 body size | u64 checksum of the body | u64 checksum
//            of the three fields before it                            (28 bytes)
//   body     u8 kind | key (two u64) | payload: a finished task's result bytes, or for a
//            run record the text "pid P on host H, started T"
//
// Numbers are in the byte order of the machine (a journal is only read by the same build).
// Each record is written with one writev (a record over 2 GiB needs several: Linux writes
// at most that much at a time), so a killed process loses nothing it wrote. The heads make
// damage local: a record whose body fails its checksum is skipped by its size, and after a
// damaged head the reader looks for the next marker with a valid head. Every valid record
// is kept; what was dropped is reported (warnings()). A last record torn by a kill is cut
// off, as is anything else after the last valid record.
//
// Each run starts with a run record; a task's started record comes from the worker that
// runs it, so a task that was running whenever the last two runs ended is known, and is
// not run a third time.
//
// One run at a time: the file is locked (an open-file-description lock, so two Journals
// in one process conflict too) and a second opener is refused, naming the holder from the
// last run record.

#include "wire.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

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

// What a task is: its function and its serialized arguments (and, for a map's chunk, its
// size), and what its inputs are (their keys, in the order of spec.inputs): the same call on
// the results of other tasks is another task.
TaskKey key_of(const TaskSpec& spec, std::span<const TaskKey> inputs = {});
// What element `index` of the chunk with key `chunk` is, as an input.
TaskKey element_key(const TaskKey& chunk, std::uint32_t index);

// The framing of one record, apart from the file (tested on its own).
struct RecordHead {
    std::uint64_t body_size = 0;
    std::uint64_t body_checksum = 0;
    friend bool operator==(const RecordHead&, const RecordHead&) = default;
};
constexpr std::size_t record_head_size = 4 + 3 * 8;
std::array<char, record_head_size> encode_record_head(const RecordHead& head);
// Null unless bytes starts with a whole head whose marker and checksum are right.
std::optional<RecordHead> decode_record_head(std::span<const char> bytes);
// The checksum of the journal's records: start is hashed first, then rest.
std::uint64_t journal_checksum(std::span<const char> start, std::span<const char> rest = {});

class Journal {
public:
    // Opens the file (made with mode 0600 if missing), locks it and reads what earlier runs
    // wrote. Throws JournalError for a path that is not a regular file, a file that is not a
    // journal or belongs to another program, and a journal another run holds.
    Journal(const std::string& path, std::uint64_t program);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // The result of a task an earlier run finished, or null.
    const Bytes* result(const TaskKey& key) const;
    // Started and never finished in each of the last two runs.
    bool poisoned(const TaskKey& key) const;
    std::size_t results() const { return finished_.size(); }

    // What opening found wrong but survived, one line each for the log ("journal X: 1
    // damaged record skipped ..."); empty when all is well.
    const std::vector<std::string>& warnings() const { return warnings_; }
    // How many damaged stretches reading dropped: each a record that failed its checksum, a
    // last record cut short, or bytes that are not a record.
    std::size_t damaged_records() const { return damaged_records_; }

    void record_started(const TaskKey& key);
    void record_finished(const TaskKey& key, std::span<const char> result);

private:
    enum class Record : std::uint8_t { run = 1, started = 2, finished = 3 };
    // A stretch of the file that reading dropped.
    struct Damage {
        std::uint64_t offset;
        std::uint64_t size;
        bool cut_short;  // its head was valid, but the file ends before its body does
    };

    void open_file();
    void lock();
    std::string holder() const;
    void read_existing(std::uint64_t program);
    std::uint64_t read_records(std::span<const char> file);
    bool take(std::span<const char> body);
    void report(const std::vector<Damage>& damage, std::uint64_t end_of_records);
    void append(Record kind, const TaskKey& key, std::span<const char> payload = {});

    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;  // where the next record goes
    std::unordered_map<TaskKey, Bytes, TaskKeyHash> finished_;
    struct Unfinished {
        std::uint32_t last_run;  // the last run it started in
        std::uint32_t runs;      // how many runs in a row, up to last_run, it started in and never finished
    };
    std::unordered_map<TaskKey, Unfinished, TaskKeyHash> unfinished_;
    std::uint32_t previous_runs_ = 0;
    std::vector<std::string> warnings_;
    std::size_t damaged_records_ = 0;
};

}  // namespace taskfarm::detail
