#include "client_core.hpp"

#include "attempt.hpp"
#include "failure.hpp"
#include "fingerprint.hpp"
#include "log.hpp"
#include "resources.hpp"
#include "roles.hpp"
#include "signals.hpp"
#include "task_output.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <thread>
#include <cstdio>
#include <cstring>

namespace taskfarm {
namespace detail {

TaskState::~TaskState() { core->forget(*this); }

ClientCore::ClientCore(std::shared_ptr<MpiSession> session, std::unique_ptr<Transport> transport,
                       std::shared_ptr<LocalFarm> local_farm, Options options, std::unique_ptr<Journal> journal,
                       std::vector<std::string> hosts)
    : session_(std::move(session)),
      transport_(std::move(transport)),
      local_farm_(std::move(local_farm)),
      workers_(transport_ ? transport_->size() - first_worker_rank : 0),
      options_(std::move(options)),
      journal_(std::move(journal)),
      owner_pid_(::getpid()) {
    // In every mode: the local farm and inline report progress too.
    if (options_.progress != Options::Progress::never)
        progress_ = std::make_unique<ProgressReport>(counts_, options_.progress == Options::Progress::always,
                                                     options_.progress_interval, progress_on_terminal());
    if (transport_)
        transport_->on_stop_signal([this] {
            transport_->post(scheduler_rank, Drain{});
            // The job ends within StopPolicy::grace: the report's last page now, while this
            // rank surely lives (the launcher may kill it once another rank has left).
            if (trace_ && !options_.report.empty()) write_report(trace_data(), true);
        });
    auto ranks = std::size_t(transport_ ? transport_->size() : client_rank + 1);
    hosts_ = std::move(hosts);
    hosts_.resize(std::max(hosts_.size(), ranks), host_name());  // the local farm and inline: all here
    if (records_events(options_)) start_recording();
    // Whoever waits is woken once per frame, not once per task in it.
    if (transport_)
        transport_->start([this](int source, Message&& message) { on_message(source, std::move(message)); },
                          [this] { changed_.notify_all(); });
}

std::shared_ptr<TaskState> ClientCore::submit(const TaskCode& code, Bytes args, const TaskOptions& options,
                                              std::uint32_t elements, std::vector<std::shared_ptr<TaskState>> inputs,
                                              bool broadcast) {
    auto task = std::make_shared<TaskState>();
    task->core = shared_from_this();
    auto retries = options.retries.value_or(options_.retries);
    auto timeout = options.timeout.value_or(options_.timeout);
    if (retries < 0) throw UsageError("taskfarm: TaskOptions::retries must be at least 0");
    auto timeout_ns = timeout_nanoseconds<UsageError>(timeout, "taskfarm: TaskOptions::timeout");
    TaskSpec spec{0, code.invoker, code.function.module, code.function.offset, static_cast<std::uint32_t>(retries), 1,
                  timeout_ns, elements, options.priority, broadcast, false, resource_request(options.resources), {}, std::move(args)};

    for (const auto& input : inputs)
        if (input->core.get() != this)
            throw UsageError("taskfarm: a Future passed as an argument belongs to another farm (one that has shut "
                             "down?): a task can only take the results of its own farm's tasks");
    std::vector<std::shared_ptr<TaskState>> let_go;  // destroyed after the lock is released
    std::unique_lock lock(mutex_);
    if (transport_) wait_for_room(lock, args.size());
    if (closed_) throw UsageError("taskfarm: submit after the farm has shut down");
    // A chunk's elements take the ids right after it, so that a worker knows each one's id
    // (task_output_dir names files by it): element i of chunk C is C + 1 + i.
    spec.task = task->id = next_id_;
    next_id_ += 1 + elements;
    task->elements = elements;
    counts_.submitted += elements > 0 ? elements : 1;
    if (trace_) {
        std::vector<TaskId> input_ids;
        for (const auto& input : inputs) input_ids.push_back(input->id);
        trace_->submitted(task->id, elements, code, options.name, input_ids,
                          std::chrono::steady_clock::now().time_since_epoch().count());
    }
    TaskKey key;
    if (journal_) {
        std::vector<TaskKey> input_keys;
        for (const auto& input : inputs) {
            auto& source = input->chunk ? *input->chunk : *input;
            auto source_key = source.more().journal_key.value_or(TaskKey{});
            input_keys.push_back(input->chunk ? element_key(source_key, input->index) : source_key);
        }
        key = key_of(spec, input_keys);
        task->more().journal_key = key;
        if (complete_from_journal(*task, key)) return task;
    }

    if (!transport_) {  // inline: run it now, through the same bytes a worker would see
        if (!covers(options_.worker_resources, spec.resources)) {  // as the scheduler would: it fails now
            complete(*task, TaskStatus::error, unsatisfiable_failure(spec.resources, own_rank(), host_name()));
            return task;
        }
        std::vector<std::span<const char>> input_bytes;
        if (!inline_inputs(*task, inputs, input_bytes)) return task;
        if (journal_) journal_->record_started(key);
        lock.unlock();  // the task runs without it: other client threads go on meanwhile
        for (;;) {
            auto started = std::chrono::steady_clock::now();
            auto attempt = run_inline(spec, input_bytes);
            if (trace_) {  // inline, the client's one thread runs the task
                EventBatch events;
                std::uint64_t bytes_in = spec.args.size();
                for (auto input : input_bytes) bytes_in += input.size();
                auto start = started.time_since_epoch().count();
                append_attempt_events(events, spec, attempt, 0, start, start, bytes_in);
                std::lock_guard relock(mutex_);
                trace_->add(client_rank, events);
            }
            if (runs_again(attempt, spec)) {
                ++spec.attempt;
                continue;
            }
            task->status = attempt.outcome == Outcome::value ? TaskStatus::value : TaskStatus::error;
            task->payload = std::move(attempt.payload);
            {
                std::lock_guard relock(mutex_);
                count_finished(task->status, task->elements, task->payload, false);
                if (trace_ && task->status == TaskStatus::error) trace_failure(task->id, task->payload);
            }
            if (task->status == TaskStatus::value) {
                std::lock_guard relock(mutex_);
                if (journal_) journal_->record_finished(key, task->payload);  // gone if the farm shut down meanwhile
            }
            return task;
        }
    }

    if (!inputs.empty() && !add_inputs(*task, spec, inputs)) {
        let_go = take_let_go();
        return task;
    }
    for (const auto& input : inputs) {
        auto& dependents = input->more().dependents;
        // An input many tasks take (a table every task reads) would collect a weak pointer per
        // task for ever: the dead ones go whenever the list doubles.
        if (dependents.size() >= 64 && (dependents.size() & (dependents.size() - 1)) == 0)
            std::erase_if(dependents, [](const auto& dependent) { return dependent.expired(); });
        dependents.push_back(task);
    }
    live_.emplace(task->id, task.get());
    if (journal_) journal_keys_.emplace(task->id, key);
    task->pending_bytes = spec.args.size();
    pending_bytes_ += task->pending_bytes;
    if (spec.args.size() > options_.inline_result_limit && !spec.broadcast) {
        held_arguments_.emplace(task->id, HeldArguments{std::move(spec.args), spec.retries > 0});
        spec.args.clear();
        spec.args_at_client = true;
    }
    transport_->post(scheduler_rank, Submit{std::move(spec)});
    return task;
}

AttemptResult ClientCore::run_inline(const TaskSpec& spec, std::span<const std::span<const char>> inputs) {
    auto limit_ns = time_limit_ns(spec);
    if (options_.isolate || limit_ns == 0) return run_attempt(spec, options_, inputs);
    struct Shared {
        std::mutex mutex;
        std::condition_variable done;
        std::optional<AttemptResult> result;
    };
    auto shared = std::make_shared<Shared>();
    // The thread may be given up and outlive this call: it gets copies of the inputs' bytes.
    std::vector<Bytes> input_copies;
    for (auto input : inputs) input_copies.emplace_back(input.begin(), input.end());
    std::thread runner([shared, spec, options = options_, input_copies = std::move(input_copies)] {
        std::vector<std::span<const char>> input_spans(input_copies.begin(), input_copies.end());
        auto result = run_attempt(spec, options, input_spans);
        std::lock_guard lock(shared->mutex);
        shared->result = std::move(result);
        shared->done.notify_one();
    });
    auto limit = std::chrono::nanoseconds(limit_ns);
    std::unique_lock lock(shared->mutex);
    if (shared->done.wait_for(lock, limit, [&] { return shared->result.has_value(); })) {
        lock.unlock();
        runner.join();
        return std::move(*shared->result);
    }
    lock.unlock();
    runner.detach();
    task_output_turn_given_up();  // it may hold descriptors 1 and 2 (task_output_dir)
    log_line("task " + std::to_string(spec.task) +
             " ran over its timeout; without isolation it cannot be stopped, so its thread is given up (it runs "
             "on, using what it uses, until the process ends)");
    AttemptResult result;
    result.outcome = Outcome::error;
    result.run_time = limit;
    result.payload = encode_timeout(limit_ns, limit_ns, static_cast<std::int32_t>(spec.attempt));
    return result;
}

bool ClientCore::complete_from_journal(TaskState& task, const TaskKey& key) {
    if (auto* result = journal_->result(key)) {
        complete(task, TaskStatus::value, *result, true);
        return true;
    }
    if (journal_->poisoned(key)) {
        complete(task, TaskStatus::error,
                 encode_failure({"taskfarm::PoisonTask",
                                 "it was running when each of the last two runs ended, so it is not run again "
                                 "(remove the journal to run it anyway)",
                                 own_rank(), host_name(), 2, TaskError::Cause::poisoned}));
        return true;
    }
    return false;
}

std::vector<std::shared_ptr<TaskState>> ClientCore::submit_chunk(const TaskCode& code, Bytes args,
                                                                 std::uint32_t count, const TaskOptions& options) {
    auto chunk = submit(code, std::move(args), options, count);
    std::vector<std::shared_ptr<TaskState>> elements;
    elements.reserve(count);
    std::lock_guard lock(mutex_);
    for (std::uint32_t index = 0; index < count; ++index) {
        auto element = std::make_shared<TaskState>();
        element->core = chunk->core;
        element->chunk = chunk;
        element->index = index;
        element->id = chunk->id + 1 + index;
        elements.push_back(std::move(element));
    }
    return elements;
}

void ClientCore::on_message(int source, Message&& message) {
    // Events are decoded before the lock is taken (with a trace, a map sends a run per
    // element); a malformed one is an error only from a worker that still counts (below).
    std::optional<EventBatch> events;
    std::exception_ptr undecodable;
    if (const auto* m = std::get_if<Events>(&message)) {
        try {
            events = decode_events(m->batch);
        } catch (const ProtocolError&) {
            undecodable = std::current_exception();
        }
    }
    std::vector<std::shared_ptr<TaskState>> let_go;  // destroyed after the lock is released
    std::lock_guard lock(mutex_);
    struct LetGoAtEnd {
        ClientCore& core;
        std::vector<std::shared_ptr<TaskState>>& into;
        ~LetGoAtEnd() { into = core.take_let_go(); }
    } at_end{*this, let_go};
    // A worker declared lost may wake up and speak again: what it says no longer counts.
    if (std::find(lost_workers_.begin(), lost_workers_.end(), source) != lost_workers_.end()) return;
    std::visit(
        [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, WorkerLost>) {
                worker_lost(m.worker);
            } else if constexpr (std::is_same_v<M, Events>) {
                if (undecodable) std::rethrow_exception(undecodable);
                if (m.asked_at != 0 && !events->counters.empty())  // for stats()
                    worker_counts_[source] = {m.asked_at, events->counters.back()};
                if (!trace_ && !events->attempts.empty())
                    throw ProtocolError("trace events came from rank " + std::to_string(source) + ", unasked");
                if (trace_) trace_->add(source, *events);
                if (trace_ && m.asked_at != 0)
                    trace_->answered(source, m.asked_at, m.sent_at,
                                     std::chrono::steady_clock::now().time_since_epoch().count());
                if (m.asked_at != 0 && m.asked_at == last_collect_at_ && last_events_awaited_ > 0) --last_events_awaited_;
            } else if constexpr (std::is_same_v<M, FetchInput>) {
                serve_input(source, m);
            } else if constexpr (std::is_same_v<M, Started>) {
                if (auto key = journal_keys_.find(m.task); key != journal_keys_.end()) journal_->record_started(key->second);
            } else if constexpr (std::is_same_v<M, Finished> || std::is_same_v<M, Fetched>) {
                if constexpr (std::is_same_v<M, Fetched>) {
                    if (trace_)
                        trace_->fetched(m.task, source, m.payload.size(),
                                        std::chrono::steady_clock::now().time_since_epoch().count());
                }
                if constexpr (std::is_same_v<M, Finished>) {
                    if (auto key = journal_keys_.find(m.task); key != journal_keys_.end()) {
                        if (m.outcome == Outcome::value) journal_->record_finished(key->second, m.payload);
                        journal_keys_.erase(key);
                    }
                }
                auto it = live_.find(m.task);
                if (it == live_.end()) {  // nobody holds a Future for it any more
                    if constexpr (std::is_same_v<M, Finished>) {
                        if (auto dropped = dropped_pending_.find(m.task); dropped != dropped_pending_.end()) {
                            auto status = m.outcome == Outcome::error ? TaskStatus::error
                                          : m.outcome == Outcome::held ? TaskStatus::held : TaskStatus::value;
                            count_finished(status, dropped->second, m.payload, false);
                            dropped_pending_.erase(dropped);
                        }
                        if (auto unowned = unowned_.find(m.task); unowned != unowned_.end()) {
                            auto elements = unowned->second.elements;
                            no_longer_pending(unowned->second.pending_bytes);
                            held_arguments_.erase(m.task);
                            for (auto& input : unowned->second.inputs) let_go_.push_back(std::move(input));
                            unowned_.erase(unowned);
                            unowned_task_ended(source, m.task, elements, m);
                        }
                    }
                    return;
                }
                auto& task = *it->second;
                if constexpr (std::is_same_v<M, Finished>) {
                    if (task.status != TaskStatus::pending) return;  // cancelled meanwhile
                    task.holder = source;
                    complete(task,
                             m.outcome == Outcome::value  ? TaskStatus::value
                             : m.outcome == Outcome::held ? TaskStatus::held
                                                          : TaskStatus::error,
                             std::move(m.payload));
                } else if (task.status == TaskStatus::held) {
                    task.fetched = true;
                    task.payload = std::move(m.payload);
                }
            } else {
                throw ProtocolError("the client got an unexpected message (kind " + std::to_string(message.index() + 1) +
                                    ") from rank " + std::to_string(source));
            }
        },
        message);
}

void ClientCore::worker_lost(int worker) {
    lost_workers_.push_back(worker);
    for (auto& [id, task] : live_) {
        if (task->status != TaskStatus::held || task->holder != worker || task->fetched) continue;
        // Counted as finished when it arrived as held: change its outcome without counting again.
        task->status = TaskStatus::error;
        task->payload = encode_failure({"taskfarm::WorkerLost",
                                        "its result was held on worker rank " + std::to_string(worker) +
                                            ", which was declared lost before the result was fetched",
                                        worker, "", 1, TaskError::Cause::worker_lost});
    }
}

void ClientCore::wait_for_room(std::unique_lock<std::mutex>& lock, std::uint64_t bytes) {
    auto limit = options_.max_pending_bytes;
    // Nothing pending: any task goes, however large (else it would wait for ever).
    while (limit > 0 && pending_bytes_ > 0 && pending_bytes_ + bytes > limit && !closed_) changed_.wait(lock);
}

void ClientCore::complete(TaskState& task, TaskStatus status, Bytes payload, bool from_journal) {
    bool was_pending = task.status == TaskStatus::pending;  // a cancel() after it finished counts no more
    no_longer_pending(task.pending_bytes);
    held_arguments_.erase(task.id);
    task.status = status;
    task.payload = std::move(payload);
    if (task.extras)  // its inputs are not needed any more (they are released if nobody else holds them)
        for (auto& input : std::exchange(task.extras->inputs, {})) let_go_.push_back(std::move(input));
    if (was_pending) count_finished(task.status, task.elements, task.payload, from_journal);
    if (was_pending && trace_ && status == TaskStatus::error) trace_failure(task.id, task.payload);
    if (task.keep_running)
        say_if_failed(task.id, task.holder < 0 ? own_rank() : task.holder, task.elements, task.status, task.payload);
    if (!task.extras) return;
    for (auto& watcher : task.extras->watchers) watcher.queue->done.push_back(watcher.index);
    task.extras->watchers.clear();
}

void ClientCore::read_elements(TaskState& chunk) {
    auto& elements = chunk.more().elements;
    if (!elements.empty()) return;
    for_each_outcome(chunk.payload, [&](const OutcomePlace& at) { elements.push_back({at.ok, at.offset, at.size}); });
}

void ClientCore::throw_if_closed() const {
    if (closed_) throw UsageError("taskfarm: waiting on a task after the farm has shut down");
}

void ClientCore::wait_locked(std::unique_lock<std::mutex>& lock, TaskState& task, bool need_payload) {
    auto done = [&] {
        if (task.status == TaskStatus::pending) return false;
        return !need_payload || task.status != TaskStatus::held || task.fetched;
    };
    while (!done()) {
        throw_if_closed();
        if (need_payload && task.status == TaskStatus::held) request_fetch(task);
        changed_.wait(lock);
    }
}

void ClientCore::wait(TaskState& task) { wait_until(task, std::chrono::steady_clock::time_point::max()); }

bool ClientCore::wait_until(TaskState& task, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (task.status == TaskStatus::cancelled) return true;
    auto& source = carrier(task);
    while (source.status == TaskStatus::pending && task.status != TaskStatus::cancelled) {
        throw_if_closed();
        if (deadline == std::chrono::steady_clock::time_point::max()) changed_.wait(lock);
        else if (changed_.wait_until(lock, deadline) == std::cv_status::timeout)
            return source.status != TaskStatus::pending || task.status == TaskStatus::cancelled;
    }
    return true;
}

bool ClientCore::failed(TaskState& task) {
    std::lock_guard lock(mutex_);
    if (task.status == TaskStatus::cancelled) return false;
    auto& source = carrier(task);
    if (source.status == TaskStatus::error) return true;
    if (!task.chunk || source.status != TaskStatus::value) return false;
    read_elements(source);  // an element fails alone inside a chunk that succeeded
    const auto& elements = source.extras->elements;
    return task.index >= elements.size() || !elements[task.index].ok;
}

bool ClientCore::ready(TaskState& task) {
    std::lock_guard lock(mutex_);
    return closed_ || task.status != TaskStatus::pending || carrier(task).status != TaskStatus::pending;
}

bool ClientCore::cancelled(TaskState& task) {
    std::lock_guard lock(mutex_);
    auto source_status = carrier(task).status;
    return task.status == TaskStatus::cancelled || source_status == TaskStatus::cancelled ||
           (closed_ && source_status == TaskStatus::pending);
}

std::exception_ptr ClientCore::exception(TaskState& task) {
    std::unique_lock lock(mutex_);
    if (task.status != TaskStatus::cancelled) wait_locked(lock, carrier(task), /*need_payload=*/task.chunk != nullptr);
    try {
        outcome(task);
        return nullptr;
    } catch (...) {
        return std::current_exception();
    }
}

void ClientCore::cancel(TaskState& task) {
    std::vector<std::shared_ptr<TaskState>> let_go;  // destroyed after the lock is released
    if (task.chunk) {  // the chunk runs on for its other elements; this one's outcome is dropped
        {
            std::lock_guard lock(mutex_);
            cancel_dependents(task);
            let_go = take_let_go();
            task.status = TaskStatus::cancelled;
            std::erase_if(task.chunk->more().watchers, [&](const Watcher& watcher) {
                if (watcher.element != &task) return false;
                watcher.queue->done.push_back(watcher.index);
                return true;
            });
        }
        changed_.notify_all();
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (task.status == TaskStatus::cancelled) return;
        bool kept_somewhere = task.status == TaskStatus::pending || task.holder >= first_worker_rank;
        cancel_dependents(task);  // their Releases first: the scheduler then drops them before this one
        complete(task, TaskStatus::cancelled, {});
        if (transport_ && kept_somewhere && !closed_) release(task.id);
        let_go = take_let_go();
    }
    changed_.notify_all();
}

std::span<const char> ClientCore::result_bytes(TaskState& task) {
    // The task's error is thrown after the lock is let go: uncaught, it ends the program
    // without unwinding, and the last report needs the lock (write_last_pages).
    std::exception_ptr error;
    {
        std::unique_lock lock(mutex_);
        if (task.status == TaskStatus::cancelled) throw CancelledError(task.id);
        wait_locked(lock, carrier(task), true);
        // Once a result is here it never changes, so spans into it outlive the lock.
        try {
            return outcome(task);
        } catch (...) {
            error = std::current_exception();
        }
    }
    std::rethrow_exception(error);
}

std::span<const char> ClientCore::outcome(TaskState& task) {
    auto& source = carrier(task);
    if (task.status == TaskStatus::cancelled || source.status == TaskStatus::cancelled) throw CancelledError(task.id);
    if (source.status == TaskStatus::error) throw_failure(source.payload, task.id);
    if (!task.chunk) return source.payload;
    read_elements(source);
    const auto& elements = source.extras->elements;
    if (task.index >= elements.size())
        throw TaskError("taskfarm::ProtocolError", "the chunk's result has no outcome for this element",
                        source.holder, "", task.id, 1, TaskError::Cause::undecodable);
    const auto& element = elements[task.index];
    std::span<const char> bytes(source.payload.data() + element.offset, element.size);
    if (!element.ok) throw_failure(bytes, task.id);
    return bytes;
}

void ClientCore::forget(TaskState& task) {
    if (!transport_ || task.chunk) return;  // an element lets go of its chunk as it is destroyed
    std::lock_guard lock(mutex_);
    live_.erase(task.id);
    served_.erase(task.id);
    if (task.keep_running && task.status == TaskStatus::pending && !closed_) {
        // It runs on; its result is still journaled, and its inputs are kept until it is done.
        unowned_.emplace(task.id, Unowned{task.elements, task.pending_bytes,
                                          task.extras ? std::move(task.extras->inputs)
                                                      : std::vector<std::shared_ptr<TaskState>>{}});
        return;
    }
    if (task.status == TaskStatus::pending) dropped_pending_.emplace(task.id, task.elements);
    held_arguments_.erase(task.id);
    if (task.pending_bytes > 0) {  // cancelled at the scheduler, if it had not run: room for a waiting submit
        no_longer_pending(task.pending_bytes);
        changed_.notify_all();
    }
    journal_keys_.erase(task.id);  // nobody waits for it: it need not be journaled
    // Pending: cancel it. Done on a worker: that worker keeps its outcome until now. (Cancelled
    // ones were released then; one the scheduler failed, or from the journal, is kept nowhere.)
    bool kept_somewhere = task.status == TaskStatus::pending ||
                          (task.status != TaskStatus::cancelled && task.holder >= first_worker_rank);
    if (kept_somewhere && !closed_) release(task.id);
}

bool ClientCore::closed() {
    std::lock_guard lock(mutex_);
    return closed_;
}

void ClientCore::fetch_held_results(std::unique_lock<std::mutex>& lock) {
    auto unfetched = [this] {
        return std::any_of(live_.begin(), live_.end(), [](auto& entry) {
            return entry.second->status == TaskStatus::held && !entry.second->fetched;
        });
    };
    for (auto& [id, task] : live_)
        if (task->status == TaskStatus::held) request_fetch(*task);
    // A holder that is lost turns its results into errors (worker_lost), so this ends.
    while (unfetched()) changed_.wait(lock);
}

void ClientCore::shutdown(int status, bool unwinding) {
    // A process forked by a task or by the client has a copy of this object but not its
    // threads: exit() there must not try to end the farm.
    if (::getpid() != owner_pid_) return;
    std::call_once(shutdown_once_, [&] { shut_down(status, unwinding); });
}

void ClientCore::shut_down(int status, bool unwinding) {
    {
        std::unique_lock lock(mutex_);
        if (closed_) return;
        if (transport_) {
            finish_kept_tasks(lock, status, unwinding);
            fetch_held_results(lock);
            if (trace_) collect_last_events(lock);  // the outcomes sent before it are in now
        }
        for (const auto& [task, elements] : std::exchange(dropped_pending_, {}))
            counts_.cancelled += std::max<std::uint32_t>(1, elements);  // never ran, as far as the client heard
        closed_ = true;
        progress_.reset();  // its last line, before the farm goes
        if (transport_) {
            transport_->post(scheduler_rank, Shutdown{status});
            transport_->finish();
        }
    }
    changed_.notify_all();
    if (transport_) {
        transport_->join();
        if (local_farm_) local_farm_->join();
        if (transport_->ended_together()) session_->mark_ending_together();
    }
    if (trace_) write_trace();
    {
        // Nothing more is written to it: synced, closed and its lock let go now, not when the
        // process ends (the program may go on for hours after its farm).
        std::lock_guard lock(mutex_);
        journal_.reset();
    }
    session_.reset();  // finalises MPI once every rank has reached this point
    // No farm is left to drain: a stop signal (Ctrl-C) ends the program as it would without one.
    if (transport_ && in_farm_process()) restore_default_stop_signals();
}

}  // namespace detail

}  // namespace taskfarm
