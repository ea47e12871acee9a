#pragma once
// The errors a user of taskfarm can catch.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>

namespace taskfarm {

namespace detail {
// The readable name of a type, as a failure record names the exception a task threw
// ("std::invalid_argument", "my::ParseError").
std::string readable_type_name(const std::type_info& type);
}  // namespace detail

// A task failed: it threw, crashed, or ran over its timeout. Carries the identity of the
// remote error: why it failed (cause()), its type name (for a crash "signal SIGSEGV", for a
// timeout "taskfarm::Timeout"), its message, the rank and host of the worker of the last
// attempt, and how many attempts were made (1 + the retries used).
class TaskError : public std::runtime_error {
public:
    // Why a task failed, as data: the type name says which exception or signal.
    enum class Cause {
        exception,    // the task threw (type_name() names what)
        crash,        // its isolated process was killed by a signal or exited before reporting
        timeout,      // it ran over its timeout (TaskOptions::timeout, Options::timeout)
        poisoned,     // the journal holds it responsible for earlier runs' deaths: not run again
        worker_lost,  // its worker was declared lost while it was queued, running or held there
        dependency,   // a task whose result it needed failed (task graphs)
        undecodable,  // its arguments or its result could not be decoded
    };

    TaskError(std::string type_name, std::string message, int rank, std::string host,
              std::uint64_t task, int attempts = 1, Cause cause = Cause::exception);

    Cause cause() const noexcept { return cause_; }
    const std::string& type_name() const noexcept { return type_name_; }
    const std::string& message() const noexcept { return message_; }
    int rank() const noexcept { return rank_; }
    const std::string& host() const noexcept { return host_; }
    std::uint64_t task() const noexcept { return task_; }
    int attempts() const noexcept { return attempts_; }

    // If the task threw one of these exception types (by its exact type, as type_name()
    // names it), throws that type here, made from the remote message; else returns. So
    //   catch (const taskfarm::TaskError& e) { e.rethrow_as<std::invalid_argument, my::Error>(); throw; }
    // lets `catch (const std::invalid_argument&)` work on the client. A base class listed
    // does not match a derived type thrown remotely: list the types the task throws.
    template <class... Exceptions>
    void rethrow_as() const {
        (rethrow_if<Exceptions>(), ...);
    }

private:
    template <class Exception>
    void rethrow_if() const {
        static_assert(std::is_constructible_v<Exception, const std::string&>,
                      "taskfarm: rethrow_as<E>() throws E(message): E must be constructible from a std::string");
        if (cause_ == Cause::exception && type_name_ == detail::readable_type_name(typeid(Exception)))
            throw Exception(message_);
    }

    std::string type_name_;
    std::string message_;
    int rank_;
    std::string host_;
    std::uint64_t task_;
    int attempts_;
    Cause cause_;
};

// The name of a cause as written in docs and messages: "exception", "worker_lost", ...
const char* to_string(TaskError::Cause cause) noexcept;

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
