// The scheduler role: a thin translator between messages and SchedulerState.

#include "config.hpp"
#include "log.hpp"
#include "resources.hpp"
#include "roles.hpp"
#include "scheduler_state.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string_view>

namespace taskfarm::detail {
namespace {

struct Performer {
    Transport& transport;
    const Options& options;
    const std::vector<std::string>& hosts;

    std::string worker_name(int worker) const {
        auto host = static_cast<std::size_t>(worker) < hosts.size() ? hosts[std::size_t(worker)] : "?";
        return "worker rank " + std::to_string(worker) + " (" + host + ")";
    }

    void operator()(std::vector<SchedulerAction> actions) const {
        for (auto& action : actions) std::visit([&](auto& a) { perform(a); }, action);
    }
    void perform(SendTask& a) const { transport.post(a.worker, Run{std::move(a.spec)}); }
    void perform(ReleaseResult& a) const { transport.post(a.worker, Release{a.task}); }
    void perform(StopWorker& a) const { transport.post(a.worker, Stop{a.status}); }
    void perform(DrainWorker& a) const { transport.post(a.worker, Drain{}); }
    void perform(FinishScheduler&) const { transport.finish(); }
    void perform(LoseWorker& a) const {
        log_line(worker_name(a.worker) + " was not heard from for " + seconds_text(options.worker_timeout) +
                 " (Options::worker_timeout) and is declared lost: " + std::to_string(a.tasks_rerun) +
                 " of its tasks run again elsewhere, " + std::to_string(a.tasks_failed) +
                 " fail; the job will end with a non-zero status (docs/faults.md)");
        transport.post(client_rank, WorkerLost{a.worker});
    }
    void perform(FailTask& a) const {
        if (!a.dependency.empty()) {
            transport.post(client_rank, Finished{a.task, Outcome::error,
                                                 encode_failure({"taskfarm::DependencyError", "it did not run: " + a.dependency,
                                                                 own_rank(), host_name(),
                                                                 static_cast<std::int32_t>(a.attempts),
                                                                 TaskError::Cause::dependency})});
            return;
        }
        if (a.unsatisfiable) {
            transport.post(client_rank, Finished{a.task, Outcome::error, unsatisfiable_failure(a.resources, own_rank(), host_name())});
            return;
        }
        auto message = a.worker >= 0 ? worker_name(a.worker) + " was declared lost (not heard from for " +
                                           seconds_text(options.worker_timeout) + ") while this task was queued or running there"
                                     : std::string("every worker of the farm was lost, so nothing can run this task");
        auto host = a.worker >= 0 && static_cast<std::size_t>(a.worker) < hosts.size() ? hosts[std::size_t(a.worker)] : "";
        transport.post(client_rank,
                       Finished{a.task, Outcome::error,
                                encode_failure({"taskfarm::WorkerLost", message, a.worker, host,
                                                static_cast<std::int32_t>(a.attempts),
                                                TaskError::Cause::worker_lost})});
    }
    void perform(AbortJob& a) const {
        if (a.end_stalled)
            log_line("the end of the job has not completed within " + seconds_text(options.worker_timeout) +
                     " (Options::worker_timeout): a rank has not reached it (frozen, or lost on the way); ending the "
                     "job with status " + std::to_string(a.status));
        else
            log_line("the client is done, but a worker was lost and cannot take part in the end of the job; ending it "
                     "with status " + std::to_string(a.status));
        abort_job(a.status);
    }
};

}  // namespace

int serve_scheduler(Transport& transport, const Options& options, const std::vector<std::string>& hosts,
                    const std::vector<Resources>& worker_resources) {
    std::vector<int> workers(static_cast<std::size_t>(transport.size() - first_worker_rank));
    std::iota(workers.begin(), workers.end(), first_worker_rank);
    std::vector<Resources> resources;
    for (int rank : workers)
        resources.push_back(worker_resources.empty() ? options.worker_resources : worker_resources.at(std::size_t(rank)));
    auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(options.worker_timeout);
    SchedulerState state(std::move(workers), window_policy(options.threads_per_worker),
                         Liveness{timeout, Liveness::Clock::now()}, std::move(resources));
    // For measuring the placement rule against placement without it (docs/design.md); not an Option.
    if (const char* place = std::getenv("TASKFARM_PLACE_BY_INPUT_BYTES")) {
        if (std::string_view(place) != "0" && std::string_view(place) != "1")
            throw ConfigError("TASKFARM_PLACE_BY_INPUT_BYTES must be 0 or 1, not \"" + std::string(place) + "\"");
        state.place_by_input_bytes(std::string_view(place) == "1");
    }
    Performer perform{transport, options, hosts};
    int status = 0;

    if (timeout.count() > 0) {
        // Often enough that a worker counts as heard within an eighth of the timeout.
        auto interval = std::clamp<Transport::Clock::duration>(timeout / 8, std::chrono::milliseconds(20),
                                                               std::chrono::seconds(1));
        transport.every(interval, [&](Transport::Clock::time_point now) {
            state.time_passed(now);
            perform(state.take_actions());
        });
    }

    transport.on_stop_signal([&] {
        state.drain_requested();
        perform(state.take_actions());
    });
    transport.start([&](int source, Message&& message) {
        if (source >= first_worker_rank) {
            if (state.is_lost(source)) return;  // woke up too late: its tasks went elsewhere
            state.worker_heard(source);
        }
        std::visit(
            [&](auto& m) {
                using M = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<M, Submit>) state.task_submitted(std::move(m.spec));
                else if constexpr (std::is_same_v<M, Done>)
                    state.task_done(source, m.task, m.held, std::chrono::nanoseconds(m.run_nanoseconds), m.held_bytes);
                else if constexpr (std::is_same_v<M, Retry>) state.task_retried(source, std::move(m.spec));
                else if constexpr (std::is_same_v<M, Release>) state.task_released(m.task);
                else if constexpr (std::is_same_v<M, Drain>) state.drain_requested();
                else if constexpr (std::is_same_v<M, Heartbeat>) {
                    // worker_heard above is all it is for
                }
                else if constexpr (std::is_same_v<M, Shutdown>) {
                    status = m.status;
                    state.shutdown_requested(status);
                } else {
                    throw ProtocolError("the scheduler got an unexpected message (kind " +
                                        std::to_string(message.index() + 1) + ") from rank " + std::to_string(source));
                }
            },
            message);
        perform(state.take_actions());
    });
    transport.join();
    return status;
}

}  // namespace taskfarm::detail
