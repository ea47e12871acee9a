// Watching tasks complete (wait_any, as_completed): a queue of indices per watch, filled as
// the tasks finish (complete()).

#include "client_core.hpp"

#include <memory>
#include <optional>

namespace taskfarm::detail {

std::shared_ptr<CompletionQueue> ClientCore::watch(std::span<TaskState* const> tasks) {
    auto queue = std::make_shared<CompletionQueue>();
    queue->core = shared_from_this();
    std::lock_guard lock(mutex_);
    for (std::size_t index = 0; index < tasks.size(); ++index) watch_locked(queue, *tasks[index], index);
    return queue;
}

void ClientCore::watch_more(const std::shared_ptr<CompletionQueue>& queue, TaskState& task, std::size_t index) {
    std::lock_guard lock(mutex_);
    watch_locked(queue, task, index);
}

void ClientCore::watch_locked(const std::shared_ptr<CompletionQueue>& queue, TaskState& task, std::size_t index) {
    auto& source = carrier(task);
    if (task.status == TaskStatus::cancelled || source.status != TaskStatus::pending) queue->done.push_back(index);
    else source.more().watchers.push_back({queue, index, task.chunk ? &task : nullptr});
}

std::size_t ClientCore::next_completed(CompletionQueue& queue) {
    return *next_completed_until(queue, std::chrono::steady_clock::time_point::max());  // no deadline: never empty
}

std::optional<std::size_t> ClientCore::next_completed_until(CompletionQueue& queue,
                                                            std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    while (queue.done.empty()) {
        throw_if_closed();
        if (deadline == std::chrono::steady_clock::time_point::max()) changed_.wait(lock);
        else if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && queue.done.empty()) return std::nullopt;
    }
    auto index = queue.done.front();
    queue.done.pop_front();
    return index;
}

}  // namespace taskfarm::detail
