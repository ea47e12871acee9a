#include "task_queue.hpp"

#include <algorithm>
#include <stdexcept>

namespace taskfarm::detail {

void TaskQueue::push(TaskSpec spec) {
    groups_[spec.resources][spec.priority].push_back(std::move(spec));
    ++size_;
}

void TaskQueue::requeue(TaskSpec spec) {
    auto& in_place = groups_[spec.resources][spec.priority];
    auto at = std::lower_bound(in_place.begin(), in_place.end(), spec.task,
                               [](const TaskSpec& queued, TaskId id) { return queued.task < id; });
    in_place.insert(at, std::move(spec));
    ++size_;
}

bool TaskQueue::contains(TaskId task) const {
    for (const auto& [request, by_priority] : groups_)
        for (const auto& [priority, tasks] : by_priority) {
            auto at = std::lower_bound(tasks.begin(), tasks.end(), task,
                                       [](const TaskSpec& queued, TaskId id) { return queued.task < id; });
            if (at != tasks.end() && at->task == task) return true;
        }
    return false;
}

const TaskSpec* TaskQueue::head_of(const ByPriority& group) {
    for (const auto& [priority, tasks] : group)
        if (!tasks.empty()) return &tasks.front();
    return nullptr;
}

const TaskSpec* TaskQueue::best(const std::function<bool(const TaskSpec&)>& ready) const {
    const TaskSpec* best = nullptr;
    for (const auto& [request, by_priority] : groups_) {
        const auto* head = head_of(by_priority);
        if (!head || !ready(*head)) continue;
        if (!best || head->priority > best->priority || (head->priority == best->priority && head->task < best->task))
            best = head;
    }
    return best;
}

TaskSpec TaskQueue::take(const TaskSpec& head) {
    auto group = groups_.find(head.resources);
    if (group == groups_.end() || head_of(group->second) != &head)
        throw std::logic_error("TaskQueue::take: not the head of its group");
    auto level = group->second.find(head.priority);
    auto spec = std::move(level->second.front());
    level->second.pop_front();
    --size_;
    // The everyday level (no request, priority 0) stays, empty or not: it is reused by the
    // next task without allocating. Others go when empty, so that requests made once (an
    // amount per task) do not pile up.
    bool everyday = group->first.empty() && level->first == 0;
    if (level->second.empty() && !everyday) group->second.erase(level);
    if (group->second.empty()) groups_.erase(group);
    return spec;
}

std::vector<TaskSpec> TaskQueue::take_unsatisfiable(const std::function<bool(const ResourceRequest&)>& cannot_run) {
    std::vector<TaskSpec> taken;
    for (auto group = groups_.begin(); group != groups_.end();) {
        if (group->first.empty() || !cannot_run(group->first)) {
            ++group;
            continue;
        }
        for (auto& [priority, tasks] : group->second)
            for (auto& spec : tasks) taken.push_back(std::move(spec));
        group = groups_.erase(group);  // such a request is not asked for again in this farm, or fails at once
    }
    size_ -= taken.size();
    std::sort(taken.begin(), taken.end(), [](const TaskSpec& a, const TaskSpec& b) { return a.task < b.task; });
    return taken;
}

std::vector<TaskSpec> TaskQueue::take_if(const std::function<bool(const TaskSpec&)>& drop) {
    std::vector<TaskSpec> taken;
    for (auto& [request, group] : groups_)
        for (auto& [priority, tasks] : group)
            for (auto it = tasks.begin(); it != tasks.end();) {
                if (!drop(*it)) {
                    ++it;
                    continue;
                }
                taken.push_back(std::move(*it));
                it = tasks.erase(it);
            }
    size_ -= taken.size();
    std::sort(taken.begin(), taken.end(), [](const TaskSpec& a, const TaskSpec& b) { return a.task < b.task; });
    return taken;
}

}  // namespace taskfarm::detail
