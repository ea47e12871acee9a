// The scheduler role: a thin translator between messages and SchedulerState.

#include "roles.hpp"
#include "scheduler_state.hpp"

#include <numeric>

namespace taskfarm::detail {
namespace {

void perform(Transport& transport, std::vector<SchedulerAction> actions) {
    for (auto& action : actions) {
        std::visit(
            [&](auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<A, SendTask>) transport.post(a.worker, Run{std::move(a.spec)});
                else if constexpr (std::is_same_v<A, ReleaseResult>) transport.post(a.worker, Release{a.task});
                else if constexpr (std::is_same_v<A, StopWorker>) transport.post(a.worker, Stop{a.status});
                else if constexpr (std::is_same_v<A, DrainWorker>) transport.post(a.worker, Drain{});
                else transport.finish();
            },
            action);
    }
}

}  // namespace

int serve_scheduler(Transport& transport, const Options& options) {
    std::vector<int> workers(static_cast<std::size_t>(transport.size() - first_worker_rank));
    std::iota(workers.begin(), workers.end(), first_worker_rank);
    SchedulerState state(std::move(workers), window_policy(options.threads_per_worker));
    int status = 0;

    transport.on_stop_signal([&] {
        state.drain_requested();
        perform(transport, state.take_actions());
    });
    transport.start([&](int source, Message&& message) {
        std::visit(
            [&](auto& m) {
                using M = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<M, Submit>) state.task_submitted(std::move(m.spec));
                else if constexpr (std::is_same_v<M, Done>)
                    state.task_done(source, m.task, m.held, std::chrono::nanoseconds(m.run_nanoseconds));
                else if constexpr (std::is_same_v<M, Retry>) state.task_retried(source, std::move(m.spec));
                else if constexpr (std::is_same_v<M, Release>) state.task_released(m.task);
                else if constexpr (std::is_same_v<M, Drain>) state.drain_requested();
                else if constexpr (std::is_same_v<M, Shutdown>) {
                    status = m.status;
                    state.shutdown_requested(status);
                } else {
                    throw ProtocolError("the scheduler got an unexpected message (kind " +
                                        std::to_string(message.index() + 1) + ") from rank " + std::to_string(source));
                }
            },
            message);
        perform(transport, state.take_actions());
    });
    transport.join();
    return status;
}

}  // namespace taskfarm::detail
