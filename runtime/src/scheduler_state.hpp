#pragma once
// The scheduler's decisions, with no I/O: events in, actions out. scheduler.cpp turns
// messages into events and actions into messages; the unit tests feed events directly.

#include "wire.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace taskfarm::detail {

struct SendTask {
    int worker;
    TaskSpec spec;
    friend bool operator==(const SendTask&, const SendTask&) = default;
};
struct ReleaseResult {
    int worker;
    TaskId task;
    friend bool operator==(const ReleaseResult&, const ReleaseResult&) = default;
};
struct StopWorker {
    int worker;
    int status;
    friend bool operator==(const StopWorker&, const StopWorker&) = default;
};
struct DrainWorker {
    int worker;
    friend bool operator==(const DrainWorker&, const DrainWorker&) = default;
};
struct FinishScheduler {
    friend bool operator==(const FinishScheduler&, const FinishScheduler&) = default;
};
using SchedulerAction = std::variant<SendTask, ReleaseResult, StopWorker, DrainWorker, FinishScheduler>;

// How many tasks a worker may have queued or running at once (its window). Enough that it
// never waits a round trip for its next task, few enough that the last tasks of a run are
// not stuck behind a busy worker while another one idles: each worker keeps about
// work_ahead of work, judged from how long its recent tasks ran, within [min, max] tasks.
// A worker starts at min, until its first task is done.
struct WindowPolicy {
    std::size_t min = 1;
    std::size_t max = 1;
    std::chrono::nanoseconds work_ahead{0};

    static WindowPolicy fixed(std::size_t tasks) { return {tasks, tasks, {}}; }
};

class SchedulerState {
public:
    SchedulerState(std::vector<int> workers, WindowPolicy window);

    void task_submitted(TaskSpec spec);
    // run_time: how long the task ran on the worker; zero when it never ran.
    void task_done(int worker, TaskId task, bool held, std::chrono::nanoseconds run_time = {});
    // The task failed on this worker and has runs left: queue it again (in id order), for
    // another worker when there is one.
    void task_retried(int worker, TaskSpec spec);
    // The client no longer needs the task: cancel it if it has not started, free its result if held.
    void task_released(TaskId task);
    void shutdown_requested(int status);
    // A stop signal came: hand out no more tasks, and tell every worker to start no more.
    void drain_requested();

    std::vector<SchedulerAction> take_actions();

    std::size_t queued() const { return queue_.size(); }
    std::size_t in_flight(int worker) const;
    std::size_t window(int worker) const;
    std::size_t results_held() const { return holder_.size(); }

private:
    struct Worker {
        int rank;
        std::size_t in_flight = 0;
        std::size_t window = 0;
        double mean_run_ns = 0;  // moving average over its recent tasks; 0 until one is done
    };
    void dispatch();
    bool is_queued(TaskId task) const;
    Worker& worker(int rank);
    void learn_run_time(Worker& worker, std::chrono::nanoseconds run_time);

    std::vector<Worker> workers_;
    WindowPolicy policy_;
    // Ordered by task id: ids grow with submission and the queue is first in, first out.
    std::deque<TaskSpec> queue_;
    std::unordered_map<TaskId, int> running_;   // task → worker
    std::unordered_map<TaskId, int> holder_;    // task → worker that keeps its result
    std::unordered_set<TaskId> released_;       // released while queued or running
    std::unordered_map<TaskId, int> avoid_;     // a retried task → the worker it failed on
    bool stopped_ = false;
    bool draining_ = false;
    std::vector<SchedulerAction> actions_;
};

}  // namespace taskfarm::detail
