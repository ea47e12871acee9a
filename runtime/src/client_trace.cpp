// The client's part of the trace (Options::trace): it asks the workers for the events they
// recorded, and at the end writes what it gathered (trace_record.hpp, trace_json.hpp).

#include "client_core.hpp"

#include "config.hpp"
#include "log.hpp"
#include "roles.hpp"
#include "identity.hpp"
#include "report_html.hpp"
#include "trace_json.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace taskfarm::detail {

void ClientCore::start_recording() {
    trace_ = std::make_unique<TraceRecord>(std::chrono::steady_clock::now(), hosts_, client_rank);
    // Every second each worker sends what it recorded: its record stays small, and each
    // answer is a round trip that sharpens the estimate of its clock's offset.
    if (transport_)
        transport_->every(std::chrono::seconds(1), [this](Transport::Clock::time_point now) {
            std::lock_guard lock(mutex_);
            collect_events(now.time_since_epoch().count());
        });
    if (options_.report.empty()) return;
    start_report_thread();
    // A stop signal ends this rank with _Exit once what is finished is delivered: the trace
    // and the report are written a last time first, if this rank gets that far.
    if (transport_) transport_->on_leave([this] { write_trace(); });
}

ClientCore::~ClientCore() { stop_report_thread(); }

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

void ClientCore::trace_failure(TaskId task, std::span<const char> payload) {
    try {
        auto failure = decode_failure(payload);
        trace_->failed(task, failure.type_name, failure.message, failure.rank, failure.host, failure.attempts);
    } catch (const ProtocolError&) {  // an unreadable record: get() says so; the report leaves it out
    }
}

TraceData ClientCore::trace_data() {
    std::lock_guard lock(mutex_);
    return trace_data_locked();
}

TraceData ClientCore::trace_data_locked() {
    std::string layout = !transport_ ? "inline" : local_farm_ ? "local" : "mpi";
    auto data = trace_->data(std::chrono::steady_clock::now(), workers_, layout, settings_of(options_));
    data.tasks_submitted = counts_.submitted;
    data.tasks_done = counts_.done;
    data.tasks_failed = counts_.failed;
    data.tasks_cancelled = counts_.cancelled;
    data.threads_per_worker = options_.threads_per_worker;
    return data;
}

void ClientCore::write_report(const TraceData& data, bool final) {
    std::lock_guard writing(report_write_mutex_);  // one writer of the file at a time
    try {
        write_html_report(data, options_.report, final);
    } catch (const std::exception& e) {
        log_line("could not write the report: " + std::string(e.what()));
    }
}

void ClientCore::start_report_thread() {
    report_thread_ = std::thread([this, &identity = current_identity()] {
        IdentityScope speaking_as(identity);
        std::unique_lock lock(mutex_);
        while (!report_wake_.wait_for(lock, options_.report_interval, [&] { return report_thread_stop_; })) {
            lock.unlock();
            write_report(trace_data(), false);
            lock.lock();
        }
    });
}

void ClientCore::stop_report_thread() {
    if (!report_thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        report_thread_stop_ = true;
    }
    report_wake_.notify_all();
    report_thread_.join();
}

void ClientCore::write_last_pages() {
    if (!trace_ || ::getpid() != owner_pid_) return;
    std::unique_lock lock(mutex_, std::defer_lock);
    for (int tries = 0; tries < 200 && !lock.try_lock(); ++tries) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!lock.owns_lock()) {
        log_line("the trace and the report could not be written: the client's state is held by the code that failed");
        return;
    }
    if (closed_) return;  // written by the shutdown already
    auto data = trace_data_locked();
    lock.unlock();
    write_final_pages(data);
}

void ClientCore::write_trace() {
    stop_report_thread();
    write_final_pages(trace_data());
}

void ClientCore::write_final_pages(const TraceData& data) {
    if (!options_.trace.empty()) {
        try {
            write_chrome_trace(data, options_.trace);
        } catch (const std::exception& e) {
            log_line("could not write the trace: " + std::string(e.what()));
        }
    }
    if (!options_.report.empty()) write_report(data, true);
}

}  // namespace taskfarm::detail
