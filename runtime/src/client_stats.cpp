// Client::stats: the client's own counts (TaskCounts) and each worker's, which it asks for
// with the trace's CollectEvents (every worker answers with its counts, trace or not).

#include "client_core.hpp"

#include "roles.hpp"

#include <algorithm>
#include <chrono>

namespace taskfarm::detail {

void ClientCore::count_finished(TaskStatus status, std::uint32_t elements, std::span<const char> payload,
                                bool from_journal) {
    std::uint64_t tasks = elements > 0 ? elements : 1;
    auto done = [&](std::uint64_t ok, std::uint64_t failed) {
        counts_.done += ok;
        counts_.failed += failed;
        if (from_journal) counts_.from_journal += ok;
    };
    if (status == TaskStatus::cancelled) return void(counts_.cancelled += tasks);
    if (status == TaskStatus::error) return done(0, tasks);
    if (status != TaskStatus::value || elements == 0) return done(tasks, 0);
    // A chunk's result holds each element's outcome. An element without a readable one (the
    // bytes are malformed from there on) counts as failed: its get() throws.
    std::uint64_t succeeded = 0;
    for_each_outcome(payload, [&](const OutcomePlace& at) { succeeded += at.ok; });
    succeeded = std::min(succeeded, tasks);
    done(succeeded, tasks - succeeded);
}

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
