#pragma once
// The scheduler's queue of tasks not yet sent to a worker, in the order they should go:
// higher TaskSpec::priority first, then lower id (submit order; a retry keeps its place).
// Tasks are grouped by what they ask of a worker's resources, so that the scheduler can
// pass over a group no worker can take now (every GPU busy) and still send the tasks behind
// it, at the cost of one look per group rather than per task.

#include "wire.hpp"

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace taskfarm::detail {

class TaskQueue {
public:
    // A new task: its id is larger than any queued before it.
    void push(TaskSpec spec);
    // A task queued again (a retry, or a rerun after its worker was lost): back in its place.
    void requeue(TaskSpec spec);
    bool contains(TaskId task) const;
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    // The first task of each group is what the scheduler may send next: `ready(head)` says
    // whether some worker could take it now. Returns the best head for which it holds, or null.
    const TaskSpec* best(const std::function<bool(const TaskSpec&)>& ready) const;
    // Takes that task out (it must be the head of its group).
    TaskSpec take(const TaskSpec& head);
    // Takes out every task of the groups whose request `cannot_run` says no worker can ever
    // meet, in id order.
    std::vector<TaskSpec> take_unsatisfiable(const std::function<bool(const ResourceRequest&)>& cannot_run);

    // Takes out every task for which `drop` holds, in id order. A look at every task: for rare
    // events (a worker that held their inputs was lost).
    std::vector<TaskSpec> take_if(const std::function<bool(const TaskSpec&)>& drop);

private:
    // Within a group: by priority, highest first; each priority in id order. The level of
    // no request and priority 0 stays when it runs empty, so that the common case allocates
    // nothing per task when the queue keeps running dry.
    using ByPriority = std::map<std::int32_t, std::deque<TaskSpec>, std::greater<>>;
    static const TaskSpec* head_of(const ByPriority& group);
    std::map<ResourceRequest, ByPriority> groups_;
    std::size_t size_ = 0;
};

}  // namespace taskfarm::detail
