#pragma once
// Future<T>: the handle to one task's result. Copies share the task; when the last copy
// is gone the farm may free the result (or cancel the task if it has not run yet).

#include <taskfarm/error.hpp>
#include <taskfarm/serialize.hpp>

#include <cstdint>
#include <memory>
#include <span>

namespace taskfarm {

class Client;

namespace detail {
struct TaskState;
void wait(TaskState& task);
bool ready(TaskState& task);
// Waits, fetches the result from the worker that holds it if need be, and returns its
// bytes, which stay valid as long as the task state does. Throws TaskError if the task failed.
std::span<const char> result_bytes(TaskState& task);
std::uint64_t task_id(const TaskState& task);
}  // namespace detail

template <class T>
class Future {
public:
    using value_type = T;

    Future() = default;

    // Blocks until the task is done; returns its result or throws its TaskError.
    // May be called more than once.
    T get() const {
        auto bytes = detail::result_bytes(state());
        if constexpr (!std::is_void_v<T>) return detail::from_bytes<T>(bytes);
    }
    void wait() const { detail::wait(state()); }
    bool ready() const { return detail::ready(state()); }
    bool valid() const noexcept { return state_ != nullptr; }
    std::uint64_t id() const { return detail::task_id(state()); }

private:
    friend class Client;
    explicit Future(std::shared_ptr<detail::TaskState> state) : state_(std::move(state)) {}

    detail::TaskState& state() const {
        if (!state_) throw UsageError("taskfarm: this Future has no task (default-constructed or moved from)");
        return *state_;
    }

    std::shared_ptr<detail::TaskState> state_;
};

}  // namespace taskfarm
