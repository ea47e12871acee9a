#pragma once
// Future<T>: the handle to one task's result. Copies share the task; when the last copy
// is gone the farm frees the result (or cancels the task if it has not run yet).

#include <taskfarm/error.hpp>
#include <taskfarm/serialize.hpp>

#include <cstdint>
#include <memory>
#include <span>

namespace taskfarm {

namespace detail {
struct TaskState;
struct FutureAccess;
void wait(TaskState& task);
bool ready(TaskState& task);
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
    // True once the task has finished, failed or been cancelled.
    bool ready() const { return detail::ready(state()); }
    // The task will not run if it has not started; its result, if any, is dropped.
    // From now on get() throws CancelledError.
    void cancel() const { detail::cancel(state()); }
    bool valid() const noexcept { return state_ != nullptr; }
    std::uint64_t id() const { return detail::task_id(state()); }

private:
    friend class Client;
    friend struct detail::FutureAccess;
    explicit Future(std::shared_ptr<detail::TaskState> state) : state_(std::move(state)) {}

    detail::TaskState& state() const {
        if (!state_) throw UsageError("taskfarm: this Future has no task (default-constructed or moved from)");
        return *state_;
    }

    std::shared_ptr<detail::TaskState> state_;
};

namespace detail {
struct FutureAccess {
    template <class T>
    static TaskState& state(const Future<T>& future) {
        return future.state();
    }
};
}  // namespace detail

}  // namespace taskfarm
