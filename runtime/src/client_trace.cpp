// The client's part of the trace (Options::trace): it asks the workers for the events they
// recorded, and at the end writes what it gathered (trace_record.hpp, trace_json.hpp).

#include "client_core.hpp"

#include "config.hpp"
#include "log.hpp"
#include "roles.hpp"
#include "trace_json.hpp"

#include <algorithm>
#include <chrono>

namespace taskfarm::detail {

void ClientCore::collect_events(std::int64_t asked_at) {
    if (closed_ || !transport_) return;
    for (int rank = first_worker_rank; rank < transport_->size(); ++rank)
        if (std::find(lost_workers_.begin(), lost_workers_.end(), rank) == lost_workers_.end())
            transport_->post(rank, CollectEvents{asked_at});
}

void ClientCore::collect_last_events(std::unique_lock<std::mutex>& lock) {
    // Every live worker answers at once; a worker that cannot (stuck, or gone without the
    // scheduler noticing yet) is not waited for long: the trace says its last second is missing.
    constexpr auto patience = std::chrono::seconds(5);
    last_collect_at_ = std::chrono::steady_clock::now().time_since_epoch().count();
    last_events_awaited_ = std::size_t(transport_->size() - first_worker_rank) - lost_workers_.size();
    collect_events(last_collect_at_);
    if (!changed_.wait_for(lock, patience, [&] { return last_events_awaited_ == 0; }))
        log_line("the trace misses the last events of " + std::to_string(last_events_awaited_) +
                 " worker(s), which did not answer within " + std::to_string(patience.count()) + " s");
}

void ClientCore::write_trace() {
    std::string layout = !transport_ ? "inline" : local_farm_ ? "local" : "mpi";
    TraceData data;
    {
        std::lock_guard lock(mutex_);
        data = trace_->data(std::chrono::steady_clock::now(), workers_, layout, settings_of(options_));
    }
    try {
        write_chrome_trace(data, options_.trace);
    } catch (const std::exception& e) {
        log_line("could not write the trace: " + std::string(e.what()));
    }
}

}  // namespace taskfarm::detail
