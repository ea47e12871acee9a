// The worker role: the progress thread queues incoming tasks and serves held results;
// threads_per_worker executor threads run the tasks.

#include "attempt.hpp"
#include "log.hpp"
#include "roles.hpp"

#include <taskfarm/detail/registry.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace taskfarm::detail {
namespace {

// Shared with the executor, which may outlive serve_worker when a task is still running at shutdown.
struct WorkerShared {
    std::mutex mutex;
    std::condition_variable work_ready;
    std::deque<TaskSpec> queue;
    std::unordered_map<TaskId, Bytes> held;  // results kept here until released
    bool stopping = false;
    bool draining = false;  // a stop signal came: finish the running tasks, start no more
    int running_tasks = 0;
};

void execute(const std::shared_ptr<WorkerShared>& shared, Transport& transport, const Options& options) {
    for (;;) {
        TaskSpec spec;
        {
            std::unique_lock lock(shared->mutex);
            shared->work_ready.wait(lock, [&] { return shared->stopping || (!shared->draining && !shared->queue.empty()); });
            if (shared->stopping) return;
            spec = std::move(shared->queue.front());
            shared->queue.pop_front();
            ++shared->running_tasks;
        }
        if (!options.journal.empty()) transport.post(client_rank, Started{spec.task});
        auto attempt = run_attempt(spec, options);
        bool retry = runs_again(attempt, spec);  // back to the scheduler, for another worker
        // The client journals every result, so with a journal none stay here.
        bool held = attempt.outcome == Outcome::value && attempt.payload.size() > options.inline_result_limit &&
                    options.journal.empty();
        std::lock_guard lock(shared->mutex);
        --shared->running_tasks;
        if (shared->stopping) return;
        if (retry) {
            ++spec.attempt;
            transport.post(scheduler_rank, Retry{std::move(spec)});
            continue;
        }
        Finished finished{spec.task, attempt.outcome, std::move(attempt.payload)};
        if (held) {
            shared->held.emplace(spec.task, std::move(finished.payload));
            finished.payload.clear();
            finished.outcome = Outcome::held;
        }
        transport.post(client_rank, std::move(finished));
        transport.post(scheduler_rank,
                       Done{spec.task, held, std::max<std::uint64_t>(1, std::uint64_t(attempt.run_time.count()))});
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

    std::vector<std::thread> executors;
    for (int i = 0; i < options.threads_per_worker; ++i)
        executors.emplace_back([shared, &transport, options] { execute(shared, transport, options); });
    transport.join();
    {
        std::lock_guard lock(shared->mutex);
        abandoned_task = shared->running_tasks > 0;
    }
    if (abandoned_task) {
        // A task cannot be interrupted; it is abandoned and ends with the process.
        log_line("the farm shut down while a task was still running; its result is dropped");
        for (auto& executor : executors) executor.detach();
    } else {
        for (auto& executor : executors) executor.join();
    }
    return status;
}

}  // namespace taskfarm::detail
