#pragma once
// The scheduler's decisions, with no I/O: events in, actions out. scheduler.cpp turns
// messages into events and actions into messages; the unit tests feed events directly.

#include "resources.hpp"
#include "task_queue.hpp"
#include "wire.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <string>
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
// A worker was not heard from in time: it is lost. (The scheduler tells the client, which
// fails the results held there.)
struct LoseWorker {
    int worker;
    std::size_t tasks_rerun;   // queued or running there, queued again for other workers
    std::size_t tasks_failed;  // the same, with no runs left: each gets a FailTask
    friend bool operator==(const LoseWorker&, const LoseWorker&) = default;
};
// A task that will not run: its worker was lost (worker >= 0) with no runs left, or no worker
// is left to run it (worker = -1), or no worker has the resources it asks for, nor ever will
// (unsatisfiable). The client is sent its failure.
// Also a task whose input will never be there (dependency: what happened to it, in words):
// the input failed here, or was released, or was held on a worker that was lost.
struct FailTask {
    TaskId task;
    int worker;
    std::uint32_t attempts;
    bool unsatisfiable = false;
    ResourceRequest resources{};  // what it asked for, when unsatisfiable
    std::string dependency{};
    friend bool operator==(const FailTask&, const FailTask&) = default;
};
// The client is done but a worker was lost (a lost rank never reaches the shutdown
// barrier), or the end has not completed within the worker timeout (a rank froze on the way
// there): the job is ended (MPI_Abort) with this status instead of finishing together.
struct AbortJob {
    int status;
    bool end_stalled = false;  // the second case
    friend bool operator==(const AbortJob&, const AbortJob&) = default;
};
using SchedulerAction =
    std::variant<SendTask, ReleaseResult, StopWorker, DrainWorker, FinishScheduler, LoseWorker, FailTask, AbortJob>;

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

// When a worker counts as lost: not heard from for `timeout` (zero: never).
struct Liveness {
    using Clock = std::chrono::steady_clock;
    std::chrono::nanoseconds timeout{0};
    Clock::time_point start{};  // the workers count as heard from at this time
};

class SchedulerState {
public:
    using Clock = Liveness::Clock;
    // resources: each worker's, in the order of `workers`; empty when none has any.
    SchedulerState(std::vector<int> workers, WindowPolicy window, Liveness liveness = {},
                   std::vector<Resources> resources = {});

    void task_submitted(TaskSpec spec);
    // run_time: how long the task ran on the worker; zero when it never ran. held_bytes: the
    // size of the outcome the worker keeps (placement prefers the worker that holds most of a
    // task's input bytes).
    void task_done(int worker, TaskId task, bool held, std::chrono::nanoseconds run_time = {},
                   std::uint64_t held_bytes = 0);
    // The task failed on this worker and has runs left: queue it again (in id order), for
    // another worker when there is one.
    void task_retried(int worker, TaskSpec spec);
    // The client no longer needs the task: cancel it if it has not started, free its result if held.
    void task_released(TaskId task);
    void shutdown_requested(int status);
    // A stop signal came: hand out no more tasks, and tell every worker to start no more.
    void drain_requested();
    // Something came from this worker. It counts as heard at the time of the last
    // time_passed, which is precise enough for a timeout of seconds and costs no clock read
    // per message.
    void worker_heard(int worker);
    // The clock moved on: workers not heard from within the timeout are lost. Call it often
    // (a few times per timeout): after a gap of half the timeout or more, the scheduler
    // itself was not running, and every worker gets a fresh start instead.
    void time_passed(Clock::time_point now);
    bool is_lost(int worker) const;
    // Whether a task with inputs goes to the worker keeping most of its input bytes (on by
    // default). Off, it is placed as any task is; that is for measuring what the rule saves
    // (TASKFARM_PLACE_BY_INPUT_BYTES=0, docs/design.md).
    void place_by_input_bytes(bool on) { place_by_input_bytes_ = on; }

    std::vector<SchedulerAction> take_actions();

    std::size_t queued() const { return queue_.size(); }
    // What this worker has free now, of one resource.
    double free_resource(int worker, const std::string& name) const;
    std::size_t in_flight(int worker) const;
    std::size_t window(int worker) const;
    std::size_t results_held() const { return holder_.size(); }
    // The bytes of the outcomes this worker keeps, as its Done messages said.
    std::uint64_t bytes_held(int worker) const;
    // Tasks submitted whose inputs are not all done yet.
    std::size_t waiting_for_inputs() const { return waiting_.size(); }

private:
    struct Worker {
        int rank;
        std::size_t in_flight = 0;
        std::size_t window = 0;
        double mean_run_ns = 0;  // moving average over its recent tasks; 0 until one is done
        Clock::time_point heard{};
        bool lost = false;
        Resources total;  // what it has (Options::worker_resources)
        Resources free;   // less what the tasks sent to it, queued or running there, ask for
        std::uint64_t held_bytes = 0;  // of the outcomes it keeps
    };
    struct Held {
        int worker;
        std::uint64_t bytes;
    };
    // Where a task sent out is, which run it is, and what it holds of the worker's resources.
    struct Placement {
        int worker;
        std::uint32_t attempt;
        ResourceRequest resources;
        std::vector<int> input_holders;  // the ranks it fetches inputs from
    };
    // A task whose inputs are not all done: how many of the tasks it needs are still to finish.
    struct Waiting {
        TaskSpec spec;
        std::size_t missing;
    };
    bool pending(TaskId task) const {
        auto copies = broadcast_.find(task);
        return queue_.contains(task) || running_.count(task) || waiting_.count(task) ||
               (copies != broadcast_.end() && !copies->second.pending.empty());
    }
    // Its outcome is kept by a worker (by every live one, for a broadcast).
    bool available(TaskId task) const {
        auto copies = broadcast_.find(task);
        return holder_.count(task) ||
               (copies != broadcast_.end() && copies->second.pending.empty() && !copies->second.kept.empty());
    }
    // A broadcast task (Client::broadcast) goes to every live worker at once, outside the
    // queue and the windows; each keeps its copy. It counts as done once every copy is.
    void broadcast(TaskSpec spec);
    void copy_done(int worker, TaskId task, bool held, std::uint64_t held_bytes);
    void release_copies(TaskId task);
    void lose_copies(int worker);
    // Task `done` finished (its result kept by `holder`) or will never have a result (-1):
    // the tasks waiting for it go ahead, or fail.
    void input_done(TaskId done, int holder, const std::string& why_not = {});
    // Task `failed` will never have a result, for the reason `why`: every task waiting for it,
    // directly or through other waiting tasks, fails (FailTask with dependency).
    void fail_waiters(TaskId failed, const std::string& why);
    // The results in `gone` (held on a lost worker) are gone: the tasks that need them fail.
    void inputs_lost(const std::unordered_set<TaskId>& gone, int lost_worker);
    // Fills in the holder of each input for a Run. False if one has none (it is gone).
    // `worker`: where the task goes (a broadcast input is read there, from its own copy).
    bool fill_holders(TaskSpec& spec, int worker, std::vector<int>& holders) const;
    void dispatch();
    // The worker a queued task should go to now: room in its window (within its share) and
    // the resources it asks for free; for a retry, not the worker it failed on when another
    // could run it. Null when none can take it now. A task with inputs goes to the worker
    // keeping most of its input bytes also past its window, by room_for_local_inputs.
    Worker* place(const TaskSpec& spec);
    // The worker that keeps most of this task's input bytes (how many: `bytes`), or null
    // (no inputs on a worker).
    Worker* holder_of_most_input(const TaskSpec& spec, std::uint64_t& bytes);
    std::size_t room_for_local_inputs(const Worker& worker, std::uint64_t bytes, std::size_t window) const;
    // What moving an input to another worker is taken to cost (a message's latency, and
    // about 1 GB/s between ranks), weighed against waiting behind the holder's tasks.
    static constexpr double transfer_latency_ns = 50'000;
    static constexpr double transfer_ns_per_byte = 1.0;
    void forget_held(std::unordered_map<TaskId, Held>::iterator held);
    int avoided_worker(const TaskSpec& spec) const;
    // A task left the worker it was sent to (done, retried): its resources are free again.
    void sent_back(Worker& worker, const Placement& placement);
    // Fails the queued tasks that no live worker could ever run (what they ask for is more than
    // any live worker has).
    void fail_unsatisfiable();
    // Tasks in the farm (queued and in flight) per live worker, rounded up; among one worker
    // fewer when the task at hand avoids one (a retry avoids the one it failed on).
    std::size_t fair_share(bool one_left_out) const;
    void requeue(TaskSpec spec);
    void lose(Worker& worker);
    Worker* find_worker(int rank);
    const Worker* find_worker(int rank) const;
    Worker& worker(int rank);
    void learn_run_time(Worker& worker, std::chrono::nanoseconds run_time);
    void forget_sent(TaskId task) {
        running_.erase(task);
        rerunnable_.erase(task);
    }

    std::vector<Worker> workers_;
    std::vector<int> worker_index_;  // by rank: the worker's place in workers_, or -1
    WindowPolicy policy_;
    Liveness liveness_;
    Clock::time_point now_;
    std::size_t live_workers_ = 0;
    // Highest priority first, then by task id (ids grow with submission), grouped by request.
    TaskQueue queue_;
    TaskId last_submitted_ = 0;
    std::size_t in_flight_ = 0;  // on live workers, all together
    std::unordered_map<TaskId, Placement> running_;  // task → where it was sent, queued or running there
    // A copy of each task sent out with runs left, to run it elsewhere if its worker is lost
    // (only with liveness on: a task without retries costs nothing extra).
    std::unordered_map<TaskId, TaskSpec> rerunnable_;
    std::unordered_map<TaskId, Held> holder_;   // task → the worker that keeps its outcome, and its size
    std::unordered_set<TaskId> released_;       // released while queued or running
    std::unordered_map<TaskId, int> avoid_;     // a retried task → the worker it failed on
    std::unordered_map<TaskId, Waiting> waiting_;               // tasks whose inputs are not all done
    std::unordered_map<TaskId, std::vector<TaskId>> waiters_;   // a task → the tasks waiting for it
    struct Copies {
        std::vector<Held> kept;    // done, and kept there
        std::vector<int> pending;  // sent, not done yet
        bool released = false;     // released while copies were still to come
    };
    std::unordered_map<TaskId, Copies> broadcast_;  // broadcast tasks, by id
    bool stopped_ = false;
    Clock::time_point stopped_at_{};  // when the shutdown came, as of the last time_passed
    int stop_status_ = 0;
    bool aborting_ = false;
    bool draining_ = false;
    bool place_by_input_bytes_ = true;
    std::vector<SchedulerAction> actions_;
};

}  // namespace taskfarm::detail
