// The worker role: the progress thread queues incoming tasks and serves held results;
// threads_per_worker executor threads run the tasks. Without isolation a task that runs
// over its timeout cannot be stopped: a watchdog on the progress thread reports it, gives
// its thread up and starts another in its place.

#include "attempt.hpp"
#include "task_output.hpp"
#include "log.hpp"
#include "roles.hpp"

#include <taskfarm/detail/registry.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace taskfarm::detail {
namespace {

using Clock = Transport::Clock;

// The watchdog looks this often; a task is reported at most this late. The progress thread
// wakes at least every 10 ms anyway, so the tick costs no CPU of its own.
constexpr auto watchdog_interval = std::chrono::milliseconds(50);

// One executor thread. Guarded by WorkerShared::mutex, except `thread`'s own operations,
// which only the thread that starts or gives it up performs (also under the mutex).
struct Executor {
    std::thread thread;
    bool busy = false;      // running `spec`
    bool given_up = false;  // the watchdog reported its task: the result is dropped, the thread ends
    const TaskSpec* spec = nullptr;  // the running task (on the executor's stack), while busy
    Clock::time_point started;
    std::uint64_t limit_ns = 0;  // 0: not watched
};

// Shared with the executors, which may outlive serve_worker when a task is still running at shutdown.
struct WorkerShared {
    std::mutex mutex;
    std::condition_variable work_ready;
    std::deque<TaskSpec> queue;
    std::unordered_map<TaskId, Bytes> held;  // results kept here until released
    bool stopping = false;
    bool draining = false;  // a stop signal came: finish the running tasks, start no more
    int running_tasks = 0;  // tasks whose outcome is still to be reported by their thread
    int threads_given_up = 0;
    std::vector<std::shared_ptr<Executor>> executors;  // the ones not given up
};

// Reports an attempt's outcome: Retry to the scheduler when it runs again, else Finished to
// the client and Done to the scheduler. Called with shared.mutex held.
void report(WorkerShared& shared, Transport& transport, const Options& options, TaskSpec spec, AttemptResult attempt) {
    if (runs_again(attempt, spec)) {  // back to the scheduler, for another worker
        ++spec.attempt;
        transport.post(scheduler_rank, Retry{std::move(spec)});
        return;
    }
    // The client journals every result, so with a journal none stay here.
    bool held = attempt.outcome == Outcome::value && attempt.payload.size() > options.inline_result_limit &&
                options.journal.empty();
    Finished finished{spec.task, attempt.outcome, std::move(attempt.payload)};
    if (held) {
        shared.held.emplace(spec.task, std::move(finished.payload));
        finished.payload.clear();
        finished.outcome = Outcome::held;
    }
    transport.post(client_rank, std::move(finished));
    transport.post(scheduler_rank, Done{spec.task, held, std::max<std::uint64_t>(1, std::uint64_t(attempt.run_time.count()))});
}

void execute(const std::shared_ptr<WorkerShared>& shared, const std::shared_ptr<Executor>& self, Transport& transport,
             const Options& options) {
    for (;;) {
        TaskSpec spec;
        {
            std::unique_lock lock(shared->mutex);
            shared->work_ready.wait(lock, [&] { return shared->stopping || (!shared->draining && !shared->queue.empty()); });
            if (shared->stopping) return;
            spec = std::move(shared->queue.front());
            shared->queue.pop_front();
            ++shared->running_tasks;
            self->busy = true;
            self->spec = &spec;
            self->started = Clock::now();
            // Isolated tasks are stopped by run_isolated itself.
            self->limit_ns = options.isolate ? 0 : time_limit_ns(spec);
            // Posted under the lock: once stopping is set (and the Transport may be going
            // away) no executor posts anything.
            if (!options.journal.empty()) transport.post(client_rank, Started{spec.task});
        }
        auto attempt = run_attempt(spec, options);
        std::lock_guard lock(shared->mutex);
        // Given up: the watchdog reported this task long ago, the worker may have stopped
        // and its Transport be gone. Touch nothing but the shared state, and end.
        if (self->given_up) return;
        self->busy = false;
        self->spec = nullptr;
        --shared->running_tasks;
        if (shared->stopping) return;
        report(*shared, transport, options, std::move(spec), std::move(attempt));
    }
}

// Starts an executor thread and adds it to shared.executors. Called with shared.mutex held
// (the new thread waits for it before it looks at anything). Throws std::system_error when
// the system has no thread to give.
void start_executor(const std::shared_ptr<WorkerShared>& shared, Transport& transport, const Options& options) {
    auto executor = std::make_shared<Executor>();
    executor->thread = std::thread(
        [shared, executor, &transport, options] { execute(shared, executor, transport, options); });
    shared->executors.push_back(std::move(executor));
}

// On the progress thread, with shared.mutex held: reports every unisolated task over its
// limit as a taskfarm::Timeout (exactly as run_here would have at its end), gives its thread
// up and starts another in its place. The executor checks given_up under the same mutex
// when its task returns, so exactly one of the two reports the task.
void watch_over_tasks(const std::shared_ptr<WorkerShared>& shared, Transport& transport, const Options& options,
                      Clock::time_point now) {
    auto& executors = shared->executors;
    for (std::size_t i = 0; i < executors.size();) {
        auto executor = executors[i];
        auto ran = std::chrono::duration_cast<std::chrono::nanoseconds>(now - executor->started).count();
        if (!executor->busy || executor->limit_ns == 0 || ran <= 0 || std::uint64_t(ran) <= executor->limit_ns) {
            ++i;
            continue;
        }
        const TaskSpec& spec = *executor->spec;  // alive: its thread is still inside run_attempt
        executor->given_up = true;
        executor->busy = false;
        executor->thread.detach();
        task_output_turn_given_up();  // it may hold descriptors 1 and 2 (task_output_dir)
        executors.erase(executors.begin() + static_cast<std::ptrdiff_t>(i));
        --shared->running_tasks;
        ++shared->threads_given_up;
        log_line("task " + std::to_string(spec.task) + " ran over its timeout of " + seconds_text(std::chrono::nanoseconds(executor->limit_ns)) +
                 "; it cannot be stopped without isolation, so its thread is given up (it keeps running, and using a "
                 "core if it spins, until the process ends) and a new thread takes its place");
        AttemptResult attempt;
        attempt.outcome = Outcome::error;
        attempt.payload = encode_timeout(std::uint64_t(ran), executor->limit_ns, static_cast<std::int32_t>(spec.attempt));
        attempt.run_time = std::chrono::nanoseconds(ran);
        report(*shared, transport, options, spec, std::move(attempt));  // a copy: the stuck thread still reads it
        executor->spec = nullptr;
        try {
            start_executor(shared, transport, options);
        } catch (const std::system_error& e) {
            // With other executors left the worker goes on, one thread short: its tasks still
            // run, only fewer at once, and the scheduler needs to know nothing. With none
            // left, tasks sent here would wait for ever, so the job ends instead.
            if (executors.empty()) {
                log_line("cannot start a thread to replace the one given up: " + e.code().message() +
                         "; this worker has no executor thread left, so the job ends with status 1");
                abort_job(1);
            }
            log_line("cannot start a thread to replace the one given up: " + e.code().message() + "; this worker goes on with " +
                     std::to_string(executors.size()) + " executor thread" + (executors.size() == 1 ? "" : "s"));
        }
    }
}

}  // namespace

int serve_worker(Transport& transport, const Options& options, bool& abandoned_task) {
    auto shared = std::make_shared<WorkerShared>();
    int status = 0;

    // A stop signal here, or news of one elsewhere: finish the running tasks, start no more.
    transport.on_stop_signal([shared, &transport] {
        {
            std::lock_guard lock(shared->mutex);
            shared->draining = true;
        }
        transport.post(scheduler_rank, Drain{});
    });

    // The progress thread's periodic work: the watchdog (unisolated tasks only) and the
    // heartbeat that tells the scheduler this worker lives (Options::worker_timeout).
    bool watchdog = !options.isolate;
    std::chrono::nanoseconds heartbeat_period{0};
    if (options.worker_timeout.count() > 0)
        heartbeat_period = std::max<std::chrono::nanoseconds>(
            std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::nanoseconds>(options.worker_timeout / 4));
    if (watchdog || heartbeat_period.count() > 0) {
        auto interval = watchdog ? std::chrono::nanoseconds(watchdog_interval) : heartbeat_period;
        if (heartbeat_period.count() > 0) interval = std::min(interval, heartbeat_period);
        auto next_heartbeat = Clock::now() + heartbeat_period;
        transport.every(interval, [=, &transport, &options](Clock::time_point now) mutable {
            if (watchdog) {
                std::lock_guard lock(shared->mutex);
                if (shared->stopping) return;
                watch_over_tasks(shared, transport, options, now);
            }
            // Sent whether or not other messages went out meanwhile: it is a few bytes every
            // worker_timeout/4, and the scheduler then needs no other sign of life.
            if (heartbeat_period.count() > 0 && now >= next_heartbeat) {
                next_heartbeat += heartbeat_period;  // on schedule, not a tick late each time
                if (next_heartbeat <= now) next_heartbeat = now + heartbeat_period;
                transport.post(scheduler_rank, Heartbeat{});
            }
        });
    }

    transport.start([&](int source, Message&& message) {
        std::visit(
            [&](auto& m) {
                using M = std::decay_t<decltype(m)>;
                std::unique_lock lock(shared->mutex);
                if constexpr (std::is_same_v<M, Run>) {
                    shared->queue.push_back(std::move(m.spec));
                    lock.unlock();
                    shared->work_ready.notify_one();
                } else if constexpr (std::is_same_v<M, Fetch>) {
                    auto it = shared->held.find(m.task);
                    if (it == shared->held.end())
                        throw ProtocolError("rank " + std::to_string(source) + " asked for the result of task " +
                                            std::to_string(m.task) + ", which this worker does not hold");
                    // The client keeps what it fetches (and fetches once), so the result moves
                    // out rather than being copied; the scheduler's later Release finds nothing.
                    transport.post(source, Fetched{m.task, std::move(it->second)});
                    shared->held.erase(it);
                } else if constexpr (std::is_same_v<M, Release>) {
                    // Held: free it. Queued: drop it unrun and free its slot. Running: the
                    // scheduler releases the result again once it is done.
                    if (shared->held.erase(m.task) > 0) return;
                    auto queued = std::find_if(shared->queue.begin(), shared->queue.end(),
                                               [&](const TaskSpec& spec) { return spec.task == m.task; });
                    if (queued == shared->queue.end()) return;
                    shared->queue.erase(queued);
                    transport.post(scheduler_rank, Done{m.task, false});
                } else if constexpr (std::is_same_v<M, Drain>) {
                    shared->draining = true;
                } else if constexpr (std::is_same_v<M, Stop>) {
                    status = m.status;
                    shared->stopping = true;
                    shared->queue.clear();
                    lock.unlock();
                    shared->work_ready.notify_all();
                    transport.finish();
                } else {
                    throw ProtocolError("a worker got an unexpected message (kind " + std::to_string(message.index() + 1) +
                                        ") from rank " + std::to_string(source));
                }
            },
            message);
    });

    for (int i = 0; i < options.threads_per_worker; ++i) {
        try {
            std::lock_guard lock(shared->mutex);
            start_executor(shared, transport, options);
        } catch (const std::system_error& e) {
            log_line("cannot start executor thread " + std::to_string(i + 1) + " of threads_per_worker=" +
                     std::to_string(options.threads_per_worker) + ": " + e.code().message() +
                     "; lower TASKFARM_THREADS_PER_WORKER");
            abort_job(4);
        }
    }
    transport.join();

    // The progress thread has ended: nothing else changes the list of executors now.
    std::vector<std::shared_ptr<Executor>> executors;
    bool task_running;
    {
        std::lock_guard lock(shared->mutex);
        task_running = shared->running_tasks > 0;
        // A given-up thread is detached and may still be running (or only just ending): the
        // process must not run its static destructors under it either.
        abandoned_task = task_running || shared->threads_given_up > 0;
        executors = shared->executors;
    }
    if (task_running) log_line("the farm shut down while a task was still running; its result is dropped");
    for (auto& executor : executors) {
        // A task cannot be interrupted; it is abandoned and ends with the process.
        if (abandoned_task)
            executor->thread.detach();
        else
            executor->thread.join();
    }
    return status;
}

}  // namespace taskfarm::detail
