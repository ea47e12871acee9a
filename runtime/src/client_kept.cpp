// Outcomes kept on workers: fetched when the program asks for one, released when it lets go.
// And tasks left to run by fire_and_forget: they run to the end with no Future, the farm waits
// for them at a normal end, and since nobody calls get() on them, a failure is said in a line.
#include "client_core.hpp"

#include "failure.hpp"
#include "log.hpp"
#include "roles.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace taskfarm::detail {

void ClientCore::prefetch(TaskState& task) {
    std::lock_guard lock(mutex_);
    auto& source = carrier(task);
    if (source.status == TaskStatus::held) request_fetch(source);
}

void ClientCore::request_fetch(TaskState& task) {
    if (task.fetch_requested || closed_) return;
    task.fetch_requested = true;
    if (trace_) trace_->fetch_asked(task.id, std::chrono::steady_clock::now().time_since_epoch().count());
    transport_->post(task.holder, Fetch{task.id});
}

void ClientCore::release(TaskId task) {
    if (trace_) trace_->released(task, std::chrono::steady_clock::now().time_since_epoch().count());
    transport_->post(scheduler_rank, Release{task});
}

void ClientCore::unowned_task_ended(int source, TaskId task, std::uint32_t elements, const Finished& finished) {
    auto status = finished.outcome == Outcome::value  ? TaskStatus::value
                  : finished.outcome == Outcome::held ? TaskStatus::held
                                                      : TaskStatus::error;
    count_finished(status, elements, finished.payload, false);
    // Its worker keeps every outcome until released, and nobody will fetch this one.
    if (source >= first_worker_rank && !closed_) release(task);
    say_if_failed(task, source, elements, status, finished.payload);
}

void ClientCore::say_if_failed(TaskId task, int rank, std::uint32_t elements, TaskStatus status,
                               std::span<const char> payload) {
    auto say = [](const std::string& what) { log_line("a task left to run by fire_and_forget failed: " + what); };
    try {
        if (status == TaskStatus::error) throw_failure(payload, task);
        if (elements == 0 || status != TaskStatus::value) return;  // a chunk's result still on its worker is not read
        std::uint32_t failed = 0;
        std::string first;
        std::uint32_t index = 0;
        for_each_outcome(payload, [&](const OutcomePlace& at) {
            if (!at.ok && failed++ == 0) {
                try {
                    throw_failure(payload.subspan(at.offset, at.size), task + 1 + index);
                } catch (const std::exception& e) {
                    first = e.what();
                }
            }
            ++index;
        });
        failed += elements - std::min(elements, index);  // elements with no outcome failed too
        if (failed > 0)
            say(std::to_string(failed) + " of the " + std::to_string(elements) + " elements of task " +
                std::to_string(task) + " (a map's chunk, on rank " + std::to_string(rank) + ")" +
                (first.empty() ? std::string() : "; the first: " + first));
    } catch (const std::exception& e) {  // a TaskError, or a failure record that does not decode
        say(e.what());
    }
}

void ClientCore::keep_running(TaskState& task) {
    std::lock_guard lock(mutex_);
    auto& source = carrier(task);  // an element's chunk runs on for it
    if (source.keep_running) return;
    if (closed_ && source.status == TaskStatus::pending)
        throw UsageError("taskfarm: fire_and_forget after the farm has shut down");
    source.keep_running = true;
    // Done already (always so inline): nobody will look at its outcome now, so a failure is
    // said here, as when it ends later (complete, unowned_task_ended).
    if (source.status != TaskStatus::pending)
        say_if_failed(source.id, source.holder < 0 ? own_rank() : source.holder, source.elements, source.status,
                      source.payload);
}

void ClientCore::finish_kept_tasks(std::unique_lock<std::mutex>& lock, int status, bool unwinding) {
    auto left = [this] {
        return unowned_.size() + std::count_if(live_.begin(), live_.end(), [](auto& entry) {
                                     return entry.second->keep_running && entry.second->status == TaskStatus::pending;
                                 });
    };
    // A lost worker's tasks fail and a stop signal ends the process, so this wait ends.
    if (status == 0 && !unwinding) {
        while (left() > 0) changed_.wait(lock);
    } else if (auto count = left(); count > 0) {
        log_line(std::to_string(count) + (count == 1 ? " task" : " tasks") +
                 " left to run by fire_and_forget had not finished when the farm ended " +
                 (unwinding ? std::string("as an exception left the client's code")
                            : "with status " + std::to_string(status)) +
                 "; they will not run");
    }
}

}  // namespace taskfarm::detail
