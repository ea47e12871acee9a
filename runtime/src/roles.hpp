#pragma once
// The ranks of a farm and what each one runs.

#include "transport.hpp"

#include <taskfarm/options.hpp>

namespace taskfarm::detail {

constexpr int scheduler_rank = 0;
constexpr int client_rank = 1;
constexpr int first_worker_rank = 2;
constexpr int smallest_farm = 3;

// Tasks a worker may hold (queued or running) per executor thread, so that it never
// waits a round trip for its next task.
constexpr std::size_t window_per_thread = 16;

// Each serves until the client shuts the farm down and returns the job's exit status.
int serve_scheduler(Transport& transport, const Options& options);
// abandoned_task: a task was still running at shutdown; its thread is detached, so the
// process must end without running static destructors under it.
int serve_worker(Transport& transport, const Options& options, bool& abandoned_task);

}  // namespace taskfarm::detail
