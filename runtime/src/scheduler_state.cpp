#include "scheduler_state.hpp"

#include <algorithm>
#include <stdexcept>

namespace taskfarm::detail {

SchedulerState::SchedulerState(std::vector<int> workers, WindowPolicy window) : policy_(window) {
    if (workers.empty()) throw std::invalid_argument("a scheduler needs at least one worker");
    if (window.min == 0 || window.max < window.min)
        throw std::invalid_argument("a scheduler's window must be at least 1 and its maximum at least its minimum");
    for (int rank : workers) workers_.push_back({rank, 0, policy_.min});
}

void SchedulerState::task_submitted(TaskSpec spec) {
    if (stopped_) return;
    if (!queue_.empty() && spec.task <= queue_.back().task)
        throw ProtocolError("task ids must grow: got " + std::to_string(spec.task) + " after " +
                            std::to_string(queue_.back().task));
    queue_.push_back(std::move(spec));
    dispatch();
}

void SchedulerState::task_done(int worker, TaskId task, bool held, std::chrono::nanoseconds run_time) {
    if (stopped_) return;
    auto running = running_.find(task);
    if (running == running_.end() || running->second != worker)
        throw ProtocolError("rank " + std::to_string(worker) + " reported task " + std::to_string(task) +
                            " done, but it was not running there");
    running_.erase(running);
    auto& w = this->worker(worker);
    --w.in_flight;
    learn_run_time(w, run_time);
    bool released = released_.erase(task) > 0;
    if (held) {
        if (released) actions_.push_back(ReleaseResult{worker, task});
        else holder_.emplace(task, worker);
    }
    dispatch();
}

void SchedulerState::task_retried(int worker, TaskSpec spec) {
    if (stopped_) return;
    auto running = running_.find(spec.task);
    if (running == running_.end() || running->second != worker)
        throw ProtocolError("rank " + std::to_string(worker) + " asked to retry task " + std::to_string(spec.task) +
                            ", which was not running there");
    running_.erase(running);
    --this->worker(worker).in_flight;
    if (released_.erase(spec.task) == 0) {
        avoid_[spec.task] = worker;
        auto at = std::lower_bound(queue_.begin(), queue_.end(), spec.task,
                                   [](const TaskSpec& queued, TaskId id) { return queued.task < id; });
        queue_.insert(at, std::move(spec));
    }
    dispatch();
}

void SchedulerState::task_released(TaskId task) {
    if (stopped_) return;
    if (auto held = holder_.find(task); held != holder_.end()) {
        actions_.push_back(ReleaseResult{held->second, task});
        holder_.erase(held);
    } else if (auto running = running_.find(task); running != running_.end()) {
        // The worker drops it if it has not started; otherwise the result is freed when done.
        released_.insert(task);
        actions_.push_back(ReleaseResult{running->second, task});
    } else if (is_queued(task)) {
        released_.insert(task);
    }
    // Otherwise the task finished with its result sent inline: nothing is kept anywhere.
}

void SchedulerState::shutdown_requested(int status) {
    if (stopped_) return;
    stopped_ = true;
    for (const auto& worker : workers_) actions_.push_back(StopWorker{worker.rank, status});
    actions_.push_back(FinishScheduler{});
}

void SchedulerState::drain_requested() {
    if (stopped_ || draining_) return;
    draining_ = true;
    for (const auto& worker : workers_) actions_.push_back(DrainWorker{worker.rank});
}

std::vector<SchedulerAction> SchedulerState::take_actions() { return std::exchange(actions_, {}); }

std::size_t SchedulerState::in_flight(int worker) const {
    for (const auto& w : workers_)
        if (w.rank == worker) return w.in_flight;
    return 0;
}

std::size_t SchedulerState::window(int worker) const {
    for (const auto& w : workers_)
        if (w.rank == worker) return w.window;
    return 0;
}

SchedulerState::Worker& SchedulerState::worker(int rank) {
    return *std::find_if(workers_.begin(), workers_.end(), [&](const Worker& w) { return w.rank == rank; });
}

void SchedulerState::learn_run_time(Worker& worker, std::chrono::nanoseconds run_time) {
    if (run_time.count() <= 0 || policy_.min == policy_.max) return;
    constexpr double weight = 1.0 / 8;  // of the newest task: follows a change within a few dozen tasks
    auto sample = double(run_time.count());
    worker.mean_run_ns = worker.mean_run_ns == 0 ? sample : worker.mean_run_ns + weight * (sample - worker.mean_run_ns);
    auto tasks = double(policy_.work_ahead.count()) / worker.mean_run_ns;
    worker.window = static_cast<std::size_t>(std::clamp(tasks, double(policy_.min), double(policy_.max)));
}

bool SchedulerState::is_queued(TaskId task) const {
    auto it = std::lower_bound(queue_.begin(), queue_.end(), task,
                               [](const TaskSpec& spec, TaskId id) { return spec.task < id; });
    return it != queue_.end() && it->task == task;
}

void SchedulerState::dispatch() {
    while (!queue_.empty() && !draining_) {
        auto task = queue_.front().task;
        if (released_.erase(task) > 0) {  // cancelled before it was sent
            avoid_.erase(task);
            queue_.pop_front();
            continue;
        }
        // The worker with the most room left in its window; not the one a retried task
        // failed on, unless it is the only worker.
        int avoid = -1;
        if (auto it = avoid_.find(task); it != avoid_.end() && workers_.size() > 1) avoid = it->second;
        auto roomier = [avoid](const Worker& a, const Worker& b) {
            if ((a.rank == avoid) != (b.rank == avoid)) return b.rank == avoid;
            return a.in_flight + b.window < b.in_flight + a.window;
        };
        auto least_busy = std::min_element(workers_.begin(), workers_.end(), roomier);
        if (least_busy->in_flight >= least_busy->window || least_busy->rank == avoid) return;
        avoid_.erase(task);
        ++least_busy->in_flight;
        running_.emplace(queue_.front().task, least_busy->rank);
        actions_.push_back(SendTask{least_busy->rank, std::move(queue_.front())});
        queue_.pop_front();
    }
}

}  // namespace taskfarm::detail
