#pragma once
// The errors a user of taskfarm can catch.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace taskfarm {

// A task failed: it threw, crashed, or ran over its timeout. Carries the identity of the
// remote error: its type name (for a crash "signal SIGSEGV", for a timeout
// "taskfarm::Timeout"), its message, the rank and host of the worker of the last attempt,
// and how many attempts were made (1 + the retries used).
class TaskError : public std::runtime_error {
public:
    TaskError(std::string type_name, std::string message, int rank, std::string host,
              std::uint64_t task, int attempts = 1);

    const std::string& type_name() const noexcept { return type_name_; }
    const std::string& message() const noexcept { return message_; }
    int rank() const noexcept { return rank_; }
    const std::string& host() const noexcept { return host_; }
    std::uint64_t task() const noexcept { return task_; }
    int attempts() const noexcept { return attempts_; }

private:
    std::string type_name_;
    std::string message_;
    int rank_;
    std::string host_;
    std::uint64_t task_;
    int attempts_;
};

// get() on a Future whose task was cancelled.
class CancelledError : public std::runtime_error {
public:
    explicit CancelledError(std::uint64_t task)
        : std::runtime_error("task " + std::to_string(task) + " was cancelled"), task_(task) {}
    std::uint64_t task() const noexcept { return task_; }

private:
    std::uint64_t task_;
};

// The farm cannot be used as asked (for example, a Future that was never assigned).
class UsageError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace taskfarm
