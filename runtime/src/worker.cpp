// The worker role: the progress thread queues incoming tasks and serves held results;
// an executor thread runs the tasks.

#include "log.hpp"
#include "roles.hpp"

#include <taskfarm/detail/registry.hpp>

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
    bool running_task = false;
};

Finished run_task(const TaskSpec& spec) {
    try {
        auto invoker = find_invoker(spec.invoker);
        return {spec.task, Outcome::value, invoker({spec.module, spec.offset}, spec.args)};
    } catch (...) {
        auto error = describe_current_exception();
        return {spec.task, Outcome::error, encode_failure({error.type_name, error.message, own_rank(), host_name()})};
    }
}

void execute(const std::shared_ptr<WorkerShared>& shared, Transport& transport) {
    for (;;) {
        TaskSpec spec;
        {
            std::unique_lock lock(shared->mutex);
            shared->work_ready.wait(lock, [&] { return shared->stopping || !shared->queue.empty(); });
            if (shared->stopping) return;
            spec = std::move(shared->queue.front());
            shared->queue.pop_front();
            shared->running_task = true;
        }
        auto finished = run_task(spec);
        bool held = finished.outcome == Outcome::value && finished.payload.size() > inline_result_limit;
        std::lock_guard lock(shared->mutex);
        shared->running_task = false;
        if (shared->stopping) return;
        if (held) {
            shared->held.emplace(spec.task, std::move(finished.payload));
            finished.payload.clear();
            finished.outcome = Outcome::held;
        }
        transport.post(client_rank, finished);
        transport.post(scheduler_rank, Done{spec.task, held});
    }
}

}  // namespace

int serve_worker(Transport& transport, bool& abandoned_task) {
    auto shared = std::make_shared<WorkerShared>();
    int status = 0;

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
                    transport.post(source, Fetched{m.task, it->second});
                } else if constexpr (std::is_same_v<M, Release>) {
                    shared->held.erase(m.task);
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

    std::thread executor([shared, &transport] { execute(shared, transport); });
    transport.join();
    {
        std::lock_guard lock(shared->mutex);
        abandoned_task = shared->running_task;
    }
    if (abandoned_task) {
        // A task cannot be interrupted; it is abandoned and ends with the process.
        log_line("the farm shut down while a task was still running; its result is dropped");
        executor.detach();
    } else {
        executor.join();
    }
    return status;
}

}  // namespace taskfarm::detail
