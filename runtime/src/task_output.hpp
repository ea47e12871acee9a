#pragma once
// A task's own output (Options::task_output_dir): while a task runs, whatever it writes to
// file descriptors 1 and 2 (printf, std::cout, std::cerr, write(1, ...), the processes it
// starts) goes to DIR/task-<id>.out and DIR/task-<id>.err, where <id> is the task's id as
// the client numbers it (an element of a chunked map has its own). A run appends, so a
// retried task's runs share its files; a file still empty after a run is removed.
//
// Descriptors 1 and 2 belong to the whole process, so one task at a time may have them:
// without isolation a worker then runs one task at a time (config.cpp refuses more
// threads); with isolation each task's child process redirects its own.

#include "wire.hpp"

#include <taskfarm/detail/registry.hpp>

#include <mutex>
#include <optional>
#include <string>

namespace taskfarm::detail {

// Makes the directory and its parents if missing. Throws std::runtime_error naming the
// directory and the reason (errno's text).
void make_task_output_directory(const std::string& directory);

// Flushes C's stdio and C++'s standard streams, so that what was written so far reaches
// the file descriptors it was meant for.
void flush_standard_streams();

// While it lives, descriptors 1 and 2 of this process write to task `task`'s files.
// Flushes the streams on the way in and out, puts the descriptors back, and removes a file
// that is still empty. Scopes on different threads take turns (the second waits); a scope
// inside a scope on the same thread nests.
class TaskOutput {
public:
    // Throws std::runtime_error when a file cannot be opened; the descriptors stay as they are.
    TaskOutput(const std::string& directory, TaskId task);
    ~TaskOutput();
    TaskOutput(const TaskOutput&) = delete;
    TaskOutput& operator=(const TaskOutput&) = delete;

private:
    std::unique_lock<std::recursive_mutex> turn_;
    std::string paths_[2];  // .out, .err
    int files_[2] = {-1, -1};
    int saved_[2] = {-1, -1};  // the descriptors 1 and 2 had before; -1: they were closed
};

// The hook a chunk runs each element in: element i of chunk C is task C + 1 + i, the id the
// client gave that element's Future.
class ElementOutput final : public ElementHook {
public:
    ElementOutput(std::string directory, TaskId chunk) : directory_(std::move(directory)), chunk_(chunk) {}
    void begin(std::uint32_t index) override { current_.emplace(directory_, chunk_ + 1 + index); }
    void end(bool) noexcept override { current_.reset(); }

private:
    std::string directory_;
    TaskId chunk_;
    std::optional<TaskOutput> current_;
};

// A thread running a task was given up at its timeout (it cannot be stopped): if it holds
// the turn above it never gives it back, so from now on a scope waits for it only a moment.
void task_output_turn_given_up();

// After an isolated run whose child crashed or was stopped (and so did not tidy up): removes
// the empty files of the task, or of every element of a chunk.
void remove_empty_task_output(const std::string& directory, const TaskSpec& spec);

}  // namespace taskfarm::detail
