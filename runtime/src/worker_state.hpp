#pragma once
// The worker's decisions, with no threads, locks, clock reads or I/O: events in,
// instructions out, as in SchedulerState. worker.cpp owns the executor threads and the
// transport: it turns messages, ticks and finished attempts into events and carries out the
// instructions; the unit tests feed events directly.
//
// An executor is one thread that runs tasks, named by a number (0, 1, ... in the order they
// are asked for). Its life: StartThread, then thread_started (or thread_start_failed); then
// for each task Execute, attempt_started, attempt_finished. Without isolation, a task over
// its time limit is reported by the watchdog (time_passed) instead: its thread is given up
// (what it returns later is dropped) and another one is asked for in its place.

#include "attempt.hpp"
#include "wire.hpp"

#include <taskfarm/options.hpp>

#include <chrono>
#include <cstddef>
#include <algorithm>
#include <deque>
#include <map>
#include <span>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace taskfarm::detail {

// One input of a task as its run reads it: bytes inside a result this worker keeps, or was
// sent by the input's holder. Shared, so that a Release while the task runs frees nothing
// under it.
struct InputBytes {
    std::shared_ptr<const Bytes> owner;
    std::size_t offset = 0;
    std::size_t size = 0;
    std::span<const char> span() const { return {owner->data() + offset, size}; }
    friend bool operator==(const InputBytes& a, const InputBytes& b) {
        return std::ranges::equal(a.span(), b.span());
    }
};

// Run this task on this executor, with these inputs (in the order of spec->inputs). The spec
// is shared: the state keeps it too, to report the task should the watchdog give the
// executor up while it runs.
struct Execute {
    int executor;
    std::shared_ptr<const TaskSpec> spec;
    std::vector<InputBytes> inputs{};
    friend bool operator==(const Execute& a, const Execute& b) {
        return a.executor == b.executor && (a.spec == b.spec || (a.spec && b.spec && *a.spec == *b.spec)) &&
               a.inputs == b.inputs;
    }
};
// Post this message.
struct Send {
    int destination;
    Message message;
    friend bool operator==(const Send&, const Send&) = default;
};
// The watchdog reported this executor's task: its thread is left to run on (detached), and
// nothing it does reaches the worker any more.
struct GiveUpThread {
    int executor;
    friend bool operator==(const GiveUpThread&, const GiveUpThread&) = default;
};
// Start a thread for this executor, then call thread_started or thread_start_failed.
struct StartThread {
    int executor;
    friend bool operator==(const StartThread&, const StartThread&) = default;
};
// Print this line.
struct Log {
    std::string text;
    friend bool operator==(const Log&, const Log&) = default;
};
// The Stop came: wake every executor (each ends once its task, if any, returns; nothing more
// is reported) and finish the transport. The worker ends with this status.
struct FinishWorker {
    int status;
    friend bool operator==(const FinishWorker&, const FinishWorker&) = default;
};
// The worker cannot go on: end the whole job with this status (abort_job).
struct EndJob {
    int status;
    friend bool operator==(const EndJob&, const EndJob&) = default;
};
using WorkerAction = std::variant<Execute, Send, GiveUpThread, StartThread, Log, FinishWorker, EndJob>;

class WorkerState {
public:
    using Clock = std::chrono::steady_clock;

    // Uses options.threads_per_worker, isolate, journal, inline_result_limit and
    // worker_timeout. now: when the worker starts; its heartbeats are due from then on.
    // rank: this worker's, which tells inputs held here from those to fetch.
    WorkerState(const Options& options, Clock::time_point now, int rank = -1);

    // How often time_passed wants to be called: the watchdog's interval (without isolation)
    // or the heartbeat's, whichever is shorter; zero when neither is needed.
    std::chrono::nanoseconds tick_interval() const;

    // Asks for the threads_per_worker executors, once.
    void start_executors();
    void thread_started(int executor);
    // reason: what the system said. At start-up the job ends (status 4); a replacement that
    // cannot start leaves the worker a thread short, or ends the job when none is left.
    void thread_start_failed(int executor, const std::string& reason);

    // A message from rank `source`: Run, Fetch, Release, Drain, Stop, FetchInput, Input or
    // CollectEvents, given to the event below; any other kind is a ProtocolError. now: when
    // it came; needed for CollectEvents and when recording events (records_events), else unused.
    void received(int source, Message&& message, Clock::time_point now = {});
    // Whether this worker records task events for the client (Options::trace).
    bool records_events() const { return recording_; }
    // The client asks for the events recorded since the last Events (none without a trace)
    // and this worker's counts at `now` (Client::stats): they go at once.
    void collect_events(std::int64_t asked_at, Clock::time_point now);
    // A task to run. Its inputs held here are used in place; the others are asked of their
    // holders (FetchInput), and the task waits for them. A failed input fails it unrun.
    void run(TaskSpec spec);
    // The client wants a result held here: it gets a copy; the result stays until released
    // (a task may still need it as an input). Throws ProtocolError when this worker does not
    // hold it.
    void fetch(int source, TaskId task);
    // Another worker needs a result held here as an input: it gets it, or a failure record
    // saying the result is gone (released, as when an input is cancelled while it travels).
    void fetch_input(int source, const FetchInput& wanted);
    // An input this worker asked for came.
    void input(Input&& arrived);
    void release(TaskId task);
    void drain();
    void stop(int status);
    // A stop signal here (or news of one elsewhere): start no more tasks, and tell the scheduler.
    void stop_signal();

    // The executor picks up the task it was given, at `now`. Returns whether it runs it: not
    // when a drain came since it was given (the task goes back to the front of the queue), or
    // a stop.
    bool attempt_started(int executor, Clock::time_point now);
    // The executor's run ended. An executor that was given up is ignored: the watchdog
    // reported its task already.
    void attempt_finished(int executor, AttemptResult attempt);
    // The clock moved on: the watchdog (without isolation) and the heartbeat.
    void time_passed(Clock::time_point now);

    std::vector<WorkerAction> take_actions();

    bool stopping() const { return stopping_; }
    std::size_t queued() const { return queue_.size(); }
    std::size_t results_held() const { return held_.size(); }
    std::size_t tasks_fetching_inputs() const { return fetching_.size(); }
    std::size_t tasks_running() const;  // picked up, not yet reported
    std::size_t threads_given_up() const { return threads_given_up_; }

private:
    struct Executor {
        enum class Phase { starting, idle, given_task, running, given_up, failed_to_start };
        Phase phase = Phase::starting;
        bool replacement = false;  // asked for in place of one given up
        std::shared_ptr<TaskSpec> spec;  // given_task, running: its task
        std::vector<InputBytes> inputs;  // given_task: its inputs (the Execute carries them on)
        Clock::time_point started{};     // running: since when
        std::uint64_t bytes_in = 0;      // given_task, running: its arguments' and inputs' bytes (recording events)
        std::uint64_t limit_ns = 0;      // running: how long it may run before the watchdog reports it; 0: not watched
    };
    Executor& executor(int id, Executor::Phase expected);
    int add_executor(bool replacement);
    std::size_t live_executors() const;
    // A task whose inputs are all here: queued for an executor, or failed unrun when one
    // of them is a failure.
    void inputs_ready(TaskSpec spec, std::vector<InputBytes> inputs, std::vector<bool> failed);
    // An outcome this worker keeps: what its result (or failure) is, and the bytes.
    struct Kept {
        Outcome outcome;
        std::shared_ptr<const Bytes> bytes;
    };
    // Input `element` of a result kept here: the bytes a task reads, or false with a failure.
    std::pair<bool, InputBytes> read_input(const Kept& kept, TaskId task, std::uint32_t element) const;
    void dispatch();
    void watch_over_tasks(Clock::time_point now);
    void report(std::shared_ptr<TaskSpec> spec, AttemptResult attempt);
    void send(int destination, Message message) { actions_.emplace_back(Send{destination, std::move(message)}); }
    // Recording events (Options::trace): the runs of an attempt that ended on an executor.
    void record_attempt(const Executor& self, const TaskSpec& spec, const AttemptResult& attempt);
    void send_events(std::int64_t asked_at, std::int64_t now);

    int rank_;
    int threads_per_worker_;
    bool isolate_;
    bool journal_;  // the client keeps a journal: it is told when a task starts, and holds every result
    std::size_t inline_result_limit_;
    std::chrono::nanoseconds heartbeat_period_;  // zero: no heartbeat
    Clock::time_point next_heartbeat_;

    std::vector<Executor> executors_;  // by number, given up ones too
    std::size_t idle_ = 0;             // how many executors are idle
    struct Queued {
        TaskSpec spec;
        std::vector<InputBytes> inputs;
    };
    std::deque<Queued> queue_;  // waiting for an executor
    // Every outcome of a task run here (results and failures), kept until the scheduler
    // releases it: the client may fetch it, and tasks may need it as an input.
    std::unordered_map<TaskId, Kept> held_;
    // Tasks waiting for inputs from other ranks, and who waits for which input.
    struct Fetching {
        TaskSpec spec;
        std::vector<InputBytes> inputs;  // by the place in spec.inputs; filled as they come
        std::vector<bool> failed;        // that input is a failure record
        std::size_t missing = 0;
        bool args_missing = false;       // its arguments are still to come from the client
        Bytes args_failure;              // or did not come: why
    };
    std::unordered_map<TaskId, Fetching> fetching_;
    std::map<std::pair<TaskId, std::uint32_t>, std::vector<TaskId>> awaited_;  // (task, element) -> tasks
    bool draining_ = false;  // a stop signal came: finish the running tasks, start no more
    bool stopping_ = false;
    // Recording events for the client (Options::trace): what happened since the last Events,
    // when each task queued here came, when each input fetched was asked for. now_: the time
    // of the event being handled.
    bool recording_ = false;
    Clock::time_point now_{};
    EventBatch events_;
    std::unordered_map<TaskId, std::int64_t> arrived_;
    std::map<std::pair<TaskId, std::uint32_t>, std::int64_t> asked_;
    std::size_t threads_given_up_ = 0;
    std::uint64_t done_ = 0;  // tasks finished here (a chunk: its elements), for Client::stats
    std::vector<WorkerAction> actions_;
};

}  // namespace taskfarm::detail
