#pragma once
// Future<T>: the handle to one task's result. Copies share the task; when the last copy
// is gone the farm frees the result (or cancels the task if it has not run yet).

#include <taskfarm/error.hpp>
#include <taskfarm/serialize.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <vector>

namespace taskfarm {

namespace detail {
struct TaskState;
struct FutureAccess;
void wait(TaskState& task);
// Waits until the task is done or the deadline passes; true if done. Deadline max(): no limit.
bool wait_until(TaskState& task, std::chrono::steady_clock::time_point deadline);
// Done: finished, failed or cancelled; also a task the farm shut down before it finished.
bool ready(TaskState& task);
// Cancelled by the user, or still pending when the farm shut down.
bool cancelled(TaskState& task);
// Waits; the error get() would throw (TaskError or CancelledError), null if it succeeded.
std::exception_ptr exception(TaskState& task);
// The task runs to the end although no Future is left (fire_and_forget).
void keep_running(const std::shared_ptr<TaskState>& task);
// True once the task failed (it ran and threw, crashed, timed out, ...); false while pending.
bool failed(TaskState& task);

// now + timeout on the steady clock, rounded up; 0 or less: now; a century or more (or
// inf): max(), which means no deadline.
template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
    using namespace std::chrono;
    if (!(duration<double>(timeout).count() > 0)) return steady_clock::now();
    if (duration<double>(timeout) >= duration<double>(hours(24) * 36525)) return steady_clock::time_point::max();
    return steady_clock::now() + ceil<steady_clock::duration>(duration<double>(timeout));
}
void cancel(TaskState& task);
// Waits, fetches the result from the worker that holds it if need be, and returns its
// bytes, which stay valid as long as the task state does. Throws TaskError if the task
// failed, CancelledError if it was cancelled.
std::span<const char> result_bytes(TaskState& task);
std::uint64_t task_id(const TaskState& task);
// Called while a result that would not decode is being handled: throws it as a TaskError.
[[noreturn]] void throw_undecodable_result(TaskState& task);
}  // namespace detail

template <class T>
class Future {
public:
    using value_type = T;

    Future() = default;

    // Blocks until the task is done; returns its result or throws its TaskError (or
    // CancelledError). May be called more than once.
    T get() const {
        auto bytes = detail::result_bytes(state());
        if constexpr (!std::is_void_v<T>) {
            try {
                return detail::from_bytes<T>(bytes);
            } catch (...) {
                detail::throw_undecodable_result(state());
            }
        }
    }
    void wait() const { detail::wait(state()); }
    // Waits at most `timeout` (dask's result(timeout=), std::future::wait_for); true once the
    // task is done (finished, failed or cancelled), false if the time ran out first. Never
    // throws the task's error; after the farm shut down, a pending task throws UsageError.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) const {
        return detail::wait_until(state(), detail::deadline_after(timeout));
    }
    // True once the task has finished, failed or been cancelled (dask's done()). After the
    // farm shut down, also for a task it never finished (which counts as cancelled).
    bool ready() const { return detail::ready(state()); }
    // True if cancel() was called (on any copy), or the farm shut down before the task
    // finished. Does not block.
    bool cancelled() const { return detail::cancelled(state()); }
    // Waits until the task is done and returns what get() would throw: its TaskError, or a
    // CancelledError; null if it succeeded (dask's exception(), concurrent.futures'). Does not
    // fetch or decode the result. After the farm shut down, a pending task throws UsageError.
    std::exception_ptr exception() const { return detail::exception(state()); }
    // The task will not run if it has not started; its result, if any, is dropped.
    // From now on get() throws CancelledError.
    void cancel() const { detail::cancel(state()); }
    bool valid() const noexcept { return state_ != nullptr; }
    std::uint64_t id() const { return detail::task_id(state()); }

private:
    friend class Client;
    friend struct detail::FutureAccess;
    template <class U>
    friend void fire_and_forget(const Future<U>& future);
    explicit Future(std::shared_ptr<detail::TaskState> state) : state_(std::move(state)) {}

    detail::TaskState& state() const {
        if (!state_) throw UsageError("taskfarm: this Future has no task (default-constructed or moved from)");
        return *state_;
    }

    std::shared_ptr<detail::TaskState> state_;
};

// Lets the task run to the end although no Future of it is left (dask's fire_and_forget):
// for tasks run for what they do (write a file) rather than what they return. Without it,
// dropping the last Future cancels the task. The farm waits for such tasks before it shuts
// down normally; if it ends with an error or a stop signal first, a line says how many had
// not finished. Its result, if any, is dropped when it is done.
template <class T>
void fire_and_forget(const Future<T>& future) {
    if (!future.state_) throw UsageError("taskfarm: fire_and_forget of a Future that has no task");
    detail::keep_running(future.state_);
}
template <class T>
void fire_and_forget(const std::vector<Future<T>>& futures) {
    for (const auto& future : futures) fire_and_forget(future);
}

namespace detail {
struct FutureAccess {
    template <class T>
    static TaskState& state(const Future<T>& future) {
        return future.state();
    }
    template <class T>
    static Future<T> make(std::shared_ptr<TaskState> state) {
        return Future<T>(std::move(state));
    }
    // The task of a Future passed as an argument to another task (the input of that task).
    template <class T>
    static std::shared_ptr<TaskState> shared(const Future<T>& future) {
        if (!future.state_)
            throw UsageError("taskfarm: a Future passed as an argument has no task (default-constructed or moved from)");
        return future.state_;
    }
};
}  // namespace detail

}  // namespace taskfarm
