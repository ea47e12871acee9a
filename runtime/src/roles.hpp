#pragma once
// The ranks of a farm and what each one runs.

#include "ending.hpp"
#include "scheduler_state.hpp"
#include "resources.hpp"
#include "transport.hpp"

#include <taskfarm/options.hpp>

#include <string>
#include <vector>

namespace taskfarm::detail {

constexpr int scheduler_rank = 0;
constexpr int client_rank = 1;
constexpr int first_worker_rank = 2;
constexpr int smallest_farm = 3;

// How much work each executor thread of a worker keeps queued (scheduler_state.hpp):
// about 20 ms, which hides a refill's round trip even when the scheduler's progress thread
// sleeps (up to 10 ms), and between 2 tasks (one running, one waiting) and 1024 (tiny
// tasks, where a round trip per few tasks would cap the rate). docs/design.md "Worker windows".
inline WindowPolicy window_policy(int threads_per_worker) {
    auto threads = static_cast<std::size_t>(threads_per_worker);
    return {2 * threads, 1024 * threads, std::chrono::milliseconds(20) * threads_per_worker};
}

// Each serves until the client shuts the farm down and returns the job's exit status.
// hosts: each rank's host, by rank, for the lines that name a worker.
// worker_resources: each rank's Options::worker_resources, by rank; empty when every worker has
// options.worker_resources (the local farm, whose workers share the process's options).
int serve_scheduler(Transport& transport, const Options& options, const std::vector<std::string>& hosts,
                    const std::vector<Resources>& worker_resources = {});
// abandoned_task: a task was still running at shutdown, or a thread was given up (a task
// over its timeout, not isolated); such threads are detached, so the process must end
// without running static destructors under them.
int serve_worker(Transport& transport, const Options& options, bool& abandoned_task);
// Runs Options::worker_initializer, if any, once in this process (a worker rank, the local
// farm, or the inline client before its first task); if it throws, the job ends (fatal).
void initialize_worker_process(const Options& options);

}  // namespace taskfarm::detail
