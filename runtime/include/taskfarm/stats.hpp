#pragma once
// Numbers for code: what the farm is doing now (Client::stats), as dask's
// client.scheduler_info() or a progress bar's counts. A map's elements count one each.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taskfarm {

struct WorkerStats {
    int rank = 0;
    std::string host;
    std::uint64_t queued = 0;      // sent to it, waiting for a thread (or for their inputs)
    std::uint64_t running = 0;
    std::uint64_t done = 0;        // finished there so far, failed ones too
    std::uint64_t bytes_held = 0;  // of the results (and failures) it keeps for Futures and tasks
    // It did not answer in time (busy, lost or stopping): its numbers are the last it gave.
    bool stale = false;
};

struct Stats {
    // Every task submitted to this farm is in one of these states.
    std::uint64_t pending = 0;    // not on a worker yet: waiting for its inputs, for room, or sent
    std::uint64_t queued = 0;     // on a worker, not running yet
    std::uint64_t running = 0;
    std::uint64_t done = 0;       // finished with a result (also those the journal had)
    std::uint64_t failed = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t from_journal = 0;  // of done: results an earlier run recorded (Options::journal)
    // One per worker rank, in rank order; empty inline.
    std::vector<WorkerStats> workers;
    // As the progress line says them: tasks finished per second since the farm started
    // (journal results left out), time since then, and the time left at that rate.
    double tasks_per_second = 0;
    std::chrono::duration<double> elapsed{0};
    std::optional<std::chrono::duration<double>> eta;
};

}  // namespace taskfarm
