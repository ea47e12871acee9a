// Client::stats: the client's own counts (TaskCounts) and each worker's, which it asks for
// with the trace's CollectEvents (every worker answers with its counts, trace or not).

#include "client_core.hpp"

#include "roles.hpp"

#include <algorithm>
#include <chrono>

namespace taskfarm::detail {

Stats ClientCore::stats() {
    using Clock = std::chrono::steady_clock;
    constexpr auto patience = std::chrono::seconds(1);
    std::unique_lock lock(mutex_);
    auto asked = Clock::now().time_since_epoch().count();
    auto answered = [&](int rank) {
        auto it = worker_counts_.find(rank);
        return it != worker_counts_.end() && it->second.first >= asked;
    };
    auto live = [&](int rank) { return std::find(lost_workers_.begin(), lost_workers_.end(), rank) == lost_workers_.end(); };
    if (transport_ && !closed_) {
        collect_events(asked);
        changed_.wait_for(lock, patience, [&] {
            for (int rank = first_worker_rank; rank < transport_->size(); ++rank)
                if (live(rank) && !answered(rank)) return false;
            return true;
        });
    }
    Stats stats;
    for (int rank = first_worker_rank; transport_ && rank < transport_->size(); ++rank) {
        WorkerStats worker;
        worker.rank = rank;
        worker.host = std::size_t(rank) < hosts_.size() ? hosts_[std::size_t(rank)] : "";
        if (auto it = worker_counts_.find(rank); it != worker_counts_.end()) {
            const auto& counts = it->second.second;
            worker.queued = counts.queued;
            worker.running = counts.running;
            worker.done = counts.done;
            worker.bytes_held = counts.bytes_held;
        }
        // After shutdown the last counts stand as they are: final, not stale.
        worker.stale = !closed_ && (!live(rank) || !answered(rank));
        stats.workers.push_back(std::move(worker));
    }
    stats.done = counts_.done;
    stats.failed = counts_.failed;
    stats.cancelled = counts_.cancelled;
    stats.from_journal = counts_.from_journal;
    // What is on the workers, as they said; the rest of what is unfinished is still pending.
    // A worker's numbers are a moment earlier than the client's: bounded by what is unfinished.
    auto unfinished = counts_.unfinished();
    if (!closed_)
        for (const auto& worker : stats.workers) {
            if (worker.stale) continue;
            stats.queued += worker.queued;
            stats.running += worker.running;
        }
    stats.running = std::min(stats.running, unfinished);
    stats.queued = std::min(stats.queued, unfinished - stats.running);
    stats.pending = unfinished - stats.running - stats.queued;
    auto now = Clock::now();
    stats.elapsed = now - counts_.started;
    stats.tasks_per_second = counts_.rate(now);
    if (stats.tasks_per_second > 0) stats.eta = std::chrono::duration<double>(double(unfinished) / stats.tasks_per_second);
    return stats;
}

}  // namespace taskfarm::detail
