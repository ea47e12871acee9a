#include "worker_state.hpp"

#include "failure.hpp"
#include "log.hpp"  // seconds_text
#include "roles.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace taskfarm::detail {
namespace {

// The watchdog looks this often; a task is reported at most this late. The progress thread
// wakes at least every 10 ms anyway, so the tick costs no CPU of its own.
constexpr auto watchdog_interval = std::chrono::nanoseconds(std::chrono::milliseconds(50));

// Every worker_timeout/4 (at least 1 ms) the scheduler hears that this worker lives; zero: never.
std::chrono::nanoseconds heartbeat_period(std::chrono::duration<double> worker_timeout) {
    if (worker_timeout.count() <= 0) return {};
    return std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(1),
                                              std::chrono::duration_cast<std::chrono::nanoseconds>(worker_timeout / 4));
}

// The spec for a run that comes after this one. Its arguments move when nobody else holds
// the spec (the executor lets go of it before it reports); a given-up thread still reads
// its copy, so then it is copied. The count can only be stale upwards (only the state makes
// new references, and only while the caller holds the worker's lock), which means a copy.
TaskSpec take_spec(std::shared_ptr<TaskSpec>& spec) {
    TaskSpec taken = spec.use_count() == 1 ? std::move(*spec) : *spec;
    spec.reset();
    return taken;
}

}  // namespace

WorkerState::WorkerState(const Options& options, Clock::time_point now, int rank)
    : rank_(rank),
      threads_per_worker_(options.threads_per_worker),
      isolate_(options.isolate),
      journal_(!options.journal.empty()),
      inline_result_limit_(options.inline_result_limit),
      heartbeat_period_(heartbeat_period(options.worker_timeout)),
      next_heartbeat_(now + heartbeat_period_),
      recording_(detail::records_events(options)) {}

std::chrono::nanoseconds WorkerState::tick_interval() const {
    std::chrono::nanoseconds interval = isolate_ ? heartbeat_period_ : watchdog_interval;
    if (heartbeat_period_.count() > 0) interval = std::min(interval, heartbeat_period_);
    return interval;
}

void WorkerState::start_executors() {
    if (!executors_.empty()) throw std::logic_error("the executors were asked for already");
    for (int i = 0; i < threads_per_worker_; ++i) actions_.emplace_back(StartThread{add_executor(false)});
}

int WorkerState::add_executor(bool replacement) {
    executors_.emplace_back().replacement = replacement;
    return static_cast<int>(executors_.size() - 1);
}

void WorkerState::thread_started(int id) {
    executor(id, Executor::Phase::starting).phase = Executor::Phase::idle;
    ++idle_;
    dispatch();
}

void WorkerState::thread_start_failed(int id, const std::string& reason) {
    auto& failed = executor(id, Executor::Phase::starting);
    failed.phase = Executor::Phase::failed_to_start;
    if (!failed.replacement) {
        actions_.emplace_back(Log{"cannot start executor thread " + std::to_string(id + 1) + " of threads_per_worker=" +
                               std::to_string(threads_per_worker_) + ": " + reason + "; lower TASKFARM_THREADS_PER_WORKER"});
        actions_.emplace_back(EndJob{4});
        return;
    }
    // With other executors left the worker goes on, one thread short: its tasks still run,
    // only fewer at once, and the scheduler needs to know nothing. With none left, tasks
    // sent here would wait for ever, so the job ends instead.
    auto left = live_executors();
    if (left == 0) {
        actions_.emplace_back(Log{"cannot start a thread to replace the one given up: " + reason +
                               "; this worker has no executor thread left, so the job ends with status 1"});
        actions_.emplace_back(EndJob{1});
        return;
    }
    actions_.emplace_back(Log{"cannot start a thread to replace the one given up: " + reason + "; this worker goes on with " +
                           std::to_string(left) + " executor thread" + (left == 1 ? "" : "s")});
}

void WorkerState::received(int source, Message&& message, Clock::time_point now) {
    if (recording_) now_ = now;
    std::visit(
        [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, Input>) {
                if (recording_) {  // an input that came from another rank (the client's arguments too)
                    auto asked = asked_.extract({m.task, m.element});
                    auto at = now_.time_since_epoch().count();
                    events_.transfers.push_back({m.task + (m.element == args_element ? 0 : m.element), source,
                                                 m.payload.size(), asked ? asked.mapped() : at, at});
                }
            }
            if constexpr (std::is_same_v<M, Run>) run(std::move(m.spec));
            else if constexpr (std::is_same_v<M, CollectEvents>) collect_events(m.asked_at, now);
            else if constexpr (std::is_same_v<M, Fetch>) fetch(source, m.task);
            else if constexpr (std::is_same_v<M, Release>) release(m.task);
            else if constexpr (std::is_same_v<M, Drain>) drain();
            else if constexpr (std::is_same_v<M, Stop>) stop(m.status);
            else if constexpr (std::is_same_v<M, FetchInput>) fetch_input(source, m);
            else if constexpr (std::is_same_v<M, Input>) input(std::move(m));
            else
                throw ProtocolError("a worker got an unexpected message (kind " + std::to_string(message.index() + 1) +
                                    ") from rank " + std::to_string(source));
        },
        message);
}

namespace {
// The id the user knows an input by: an element's own (its chunk's id + 1 + its index), else the task's.
TaskId input_id(const TaskInput& input) { return input.task + input.element; }
}  // namespace

void WorkerState::run(TaskSpec spec) {
    if (stopping_) return;
    if (recording_) arrived_[spec.task] = now_.time_since_epoch().count();
    bool fetch_args = spec.args_at_client && spec.args.empty();  // not yet fetched (a retry's were dropped)
    if (spec.inputs.empty() && !fetch_args) {
        queue_.push_back({std::move(spec), {}});
        dispatch();
        return;
    }
    auto count = spec.inputs.size();
    Fetching fetching;
    fetching.inputs.resize(count);
    fetching.failed.resize(count);
    if (fetch_args) {  // large arguments: from the client, as an input is from its holder
        ++fetching.missing;
        fetching.args_missing = true;
        awaited_[{spec.task, args_element}].push_back(spec.task);
        send(client_rank, FetchInput{spec.task, args_element});
        if (recording_) asked_[{spec.task, args_element}] = now_.time_since_epoch().count();
    }
    for (std::size_t i = 0; i < count; ++i) {
        const auto& input = spec.inputs[i];
        if (input.holder == rank_) {  // here already: used in place
            auto kept = held_.find(input.task);
            if (kept == held_.end()) {
                fetching.failed[i] = true;
                fetching.inputs[i] = {std::make_shared<const Bytes>(missing_input_failure(
                                          input_id(input), "was not kept on the worker that ran it", rank_, host_name())),
                                      0, 0};
                fetching.inputs[i].size = fetching.inputs[i].owner->size();
                continue;
            }
            auto [ok, bytes] = read_input(kept->second, input.task, input.element);
            fetching.failed[i] = !ok;
            fetching.inputs[i] = std::move(bytes);
            continue;
        }
        ++fetching.missing;
        auto& waiting = awaited_[{input.task, input.element}];
        if (waiting.empty()) {  // once, however many wait
            send(input.holder, FetchInput{input.task, input.element});
            if (recording_) asked_[{input.task, input.element}] = now_.time_since_epoch().count();
        }
        if (waiting.empty() || waiting.back() != spec.task) waiting.push_back(spec.task);
    }
    if (fetching.missing == 0) return inputs_ready(std::move(spec), std::move(fetching.inputs), std::move(fetching.failed));
    auto task = spec.task;
    fetching.spec = std::move(spec);
    fetching_.emplace(task, std::move(fetching));
}

void WorkerState::input(Input&& arrived) {
    if (stopping_) return;
    auto waiting = awaited_.find({arrived.task, arrived.element});
    if (waiting == awaited_.end()) return;  // every task that wanted it was released meanwhile
    auto tasks = std::move(waiting->second);
    awaited_.erase(waiting);
    bool own_arguments = arrived.element == args_element;  // a task's arguments, not an input
    InputBytes bytes;
    if (!own_arguments) {
        bytes.owner = std::make_shared<const Bytes>(std::move(arrived.payload));
        bytes.size = bytes.owner->size();
    }
    for (auto task : tasks) {
        auto it = fetching_.find(task);
        if (it == fetching_.end()) continue;  // released while it waited
        auto& fetching = it->second;
        if (own_arguments) {
            if (task != arrived.task || !fetching.args_missing) continue;
            fetching.args_missing = false;
            --fetching.missing;
            if (arrived.outcome == Outcome::value) fetching.spec.args = std::move(arrived.payload);
            else fetching.args_failure = std::move(arrived.payload);
        }
        for (std::size_t i = 0; !own_arguments && i < fetching.spec.inputs.size(); ++i) {
            const auto& wanted = fetching.spec.inputs[i];
            if (wanted.task != arrived.task || wanted.element != arrived.element || wanted.holder == rank_) continue;
            fetching.inputs[i] = bytes;
            fetching.failed[i] = arrived.outcome != Outcome::value;
            --fetching.missing;
        }
        if (fetching.missing > 0) continue;
        auto ready = std::move(fetching);
        fetching_.erase(it);
        if (!ready.args_failure.empty()) {  // the client no longer has them: it let the task go
            send(client_rank, Finished{task, Outcome::error, ready.args_failure});
            send(scheduler_rank, Done{task, false});
            continue;
        }
        inputs_ready(std::move(ready.spec), std::move(ready.inputs), std::move(ready.failed));
    }
}

void WorkerState::inputs_ready(TaskSpec spec, std::vector<InputBytes> inputs, std::vector<bool> failed) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!failed[i]) continue;
        // It does not run: it fails as its input did (TaskError::Cause::dependency), and its
        // failure is kept here like any outcome, for the tasks that need it in turn.
        auto task = spec.task;
        auto failure = std::make_shared<const Bytes>(dependency_failure(inputs[i].span(), input_id(spec.inputs[i])));
        send(client_rank, Finished{task, Outcome::error, *failure});
        auto size = failure->size();
        held_.emplace(task, Kept{Outcome::error, std::move(failure)});
        send(scheduler_rank, Done{task, true, 0, size});
        return;
    }
    queue_.push_back({std::move(spec), std::move(inputs)});
    dispatch();
}

std::pair<bool, InputBytes> WorkerState::read_input(const Kept& kept, TaskId task, std::uint32_t element) const {
    InputBytes whole{kept.bytes, 0, kept.bytes->size()};
    if (kept.outcome != Outcome::value || element == 0) return {kept.outcome == Outcome::value, std::move(whole)};
    std::optional<OutcomePlace> place;
    std::uint32_t index = 0;
    for_each_outcome(*kept.bytes, [&](const OutcomePlace& at) {
        if (++index == element) place = at;
    });
    if (!place) {
        auto failure = std::make_shared<const Bytes>(
            missing_input_failure(task + element, "has no outcome in its chunk's result", rank_, host_name()));
        return {false, {failure, 0, failure->size()}};
    }
    return {place->ok, {kept.bytes, place->offset, place->size}};
}

void WorkerState::fetch(int source, TaskId task) {
    if (stopping_) return;
    auto it = held_.find(task);
    if (it == held_.end() || it->second.outcome != Outcome::value)
        throw ProtocolError("rank " + std::to_string(source) + " asked for the result of task " + std::to_string(task) +
                            ", which this worker does not hold");
    send(source, Fetched{task, *it->second.bytes});
}

void WorkerState::fetch_input(int source, const FetchInput& wanted) {
    if (stopping_) return;
    auto it = held_.find(wanted.task);
    if (it == held_.end()) {
        send(source, Input{wanted.task, wanted.element, Outcome::error,
                           missing_input_failure(wanted.task + wanted.element,
                                                 "was released (cancelled) before it could be fetched", rank_,
                                                 host_name())});
        return;
    }
    auto [ok, bytes] = read_input(it->second, wanted.task, wanted.element);
    auto span = bytes.span();
    send(source, Input{wanted.task, wanted.element, ok ? Outcome::value : Outcome::error, Bytes(span.begin(), span.end())});
}

void WorkerState::release(TaskId task) {
    if (stopping_) return;
    // Held: free it. Queued or waiting for its inputs: drop it unrun and free its slot.
    // Running: the scheduler releases the result again once it is done.
    if (held_.erase(task) > 0) return;
    if (fetching_.erase(task) > 0) {
        send(scheduler_rank, Done{task, false});
        return;
    }
    auto queued = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) { return q.spec.task == task; });
    if (queued == queue_.end()) return;
    queue_.erase(queued);
    send(scheduler_rank, Done{task, false});
}

void WorkerState::drain() { draining_ = true; }

void WorkerState::stop_signal() {
    if (stopping_) return;
    draining_ = true;
    send(scheduler_rank, Drain{});
}

void WorkerState::stop(int status) {
    if (stopping_) return;
    stopping_ = true;
    queue_.clear();
    fetching_.clear();
    awaited_.clear();
    held_.clear();
    actions_.emplace_back(FinishWorker{status});
}

bool WorkerState::attempt_started(int id, Clock::time_point now) {
    auto& self = executor(id, Executor::Phase::given_task);
    if (stopping_ || draining_) {
        if (!stopping_) queue_.push_front({take_spec(self.spec), std::move(self.inputs)});  // it was the first in line
        else self.spec.reset();
        self.inputs.clear();
        self.phase = Executor::Phase::idle;
        ++idle_;
        return false;
    }
    self.phase = Executor::Phase::running;
    self.inputs.clear();  // the executor has its own copy, from the Execute
    self.started = now;
    // Isolated tasks are stopped by run_isolated itself.
    self.limit_ns = isolate_ ? 0 : time_limit_ns(*self.spec);
    if (journal_) send(client_rank, Started{self.spec->task});
    return true;
}

void WorkerState::attempt_finished(int id, AttemptResult attempt) {
    if (id >= 0 && std::size_t(id) < executors_.size() && executors_[std::size_t(id)].phase == Executor::Phase::given_up)
        return;  // the watchdog reported this task long ago
    auto& self = executor(id, Executor::Phase::running);
    auto spec = std::move(self.spec);
    self.phase = Executor::Phase::idle;
    ++idle_;
    if (stopping_) return;  // once the Stop came nothing more is sent
    if (recording_) record_attempt(self, *spec, attempt);
    report(std::move(spec), std::move(attempt));
    dispatch();
}

void WorkerState::time_passed(Clock::time_point now) {
    if (stopping_) return;
    if (!isolate_) watch_over_tasks(now);
    // Sent whether or not other messages went out meanwhile: it is a few bytes every
    // worker_timeout/4, and the scheduler then needs no other sign of life.
    if (heartbeat_period_.count() > 0 && now >= next_heartbeat_) {
        next_heartbeat_ += heartbeat_period_;  // on schedule, not a tick late each time
        if (next_heartbeat_ <= now) next_heartbeat_ = now + heartbeat_period_;
        send(scheduler_rank, Heartbeat{});
    }
}

// Reports every unisolated task over its limit as a taskfarm::Timeout (exactly as run_here
// would have at its end), gives its thread up and asks for another in its place. Its own
// report, whenever it comes, is dropped, so exactly one of the two reports the task.
void WorkerState::watch_over_tasks(Clock::time_point now) {
    for (std::size_t i = 0; i < executors_.size(); ++i) {
        auto& stuck = executors_[i];
        if (stuck.phase != Executor::Phase::running || stuck.limit_ns == 0) continue;
        auto ran = std::chrono::duration_cast<std::chrono::nanoseconds>(now - stuck.started).count();
        if (ran <= 0 || std::uint64_t(ran) <= stuck.limit_ns) continue;
        stuck.phase = Executor::Phase::given_up;
        ++threads_given_up_;
        auto spec = std::move(stuck.spec);  // its thread still reads its own reference
        auto limit_ns = stuck.limit_ns;
        actions_.emplace_back(GiveUpThread{static_cast<int>(i)});
        actions_.emplace_back(Log{"task " + std::to_string(spec->task) + " ran over its timeout of " +
                               seconds_text(std::chrono::nanoseconds(limit_ns)) +
                               "; it cannot be stopped without isolation, so its thread is given up (it keeps running, "
                               "and using a core if it spins, until the process ends) and a new thread takes its place"});
        AttemptResult attempt;
        attempt.outcome = Outcome::error;
        attempt.payload = encode_timeout(std::uint64_t(ran), limit_ns, static_cast<std::int32_t>(spec->attempt));
        attempt.run_time = std::chrono::nanoseconds(ran);
        report(std::move(spec), std::move(attempt));
        actions_.emplace_back(StartThread{add_executor(true)});  // `stuck` may have moved
    }
}

// An attempt's outcome: Retry to the scheduler when it runs again, else Finished to the
// client and Done to the scheduler.
void WorkerState::report(std::shared_ptr<TaskSpec> spec, AttemptResult attempt) {
    if (runs_again(attempt, *spec)) {  // back to the scheduler, for another worker
        auto again = take_spec(spec);
        ++again.attempt;
        if (again.args_at_client) again.args.clear();  // the client keeps them for the next run
        send(scheduler_rank, Retry{std::move(again)});
        return;
    }
    auto task = spec->task;
    done_ += std::max<std::uint32_t>(1, spec->elements);
    // Every outcome stays here until released: a task may need it as an input (issue 14).
    // A small result (or a failure) rides to the client too; a large one waits for a Fetch,
    // except with a journal, which records every result on the client.
    auto kept = std::make_shared<const Bytes>(std::move(attempt.payload));
    bool rides = attempt.outcome != Outcome::value || kept->size() <= inline_result_limit_ || journal_;
    send(client_rank, Finished{task, rides ? attempt.outcome : Outcome::held, rides ? *kept : Bytes{}});
    auto size = kept->size();
    held_.emplace(task, Kept{attempt.outcome, std::move(kept)});
    send(scheduler_rank, Done{task, true, std::max<std::uint64_t>(1, std::uint64_t(attempt.run_time.count())), size});
}

// Gives the waiting tasks, first come first served, to the idle executors, lowest number first.
void WorkerState::dispatch() {
    for (std::size_t i = 0; idle_ > 0 && !queue_.empty() && !draining_ && !stopping_ && i < executors_.size(); ++i) {
        auto& free = executors_[i];
        if (free.phase != Executor::Phase::idle) continue;
        free.phase = Executor::Phase::given_task;
        --idle_;
        free.spec = std::make_shared<TaskSpec>(std::move(queue_.front().spec));
        free.inputs = std::move(queue_.front().inputs);
        queue_.pop_front();
        if (recording_) {
            free.bytes_in = free.spec->args.size();
            for (const auto& input : free.inputs) free.bytes_in += input.size;
        }
        actions_.emplace_back(Execute{static_cast<int>(i), free.spec, free.inputs});
    }
}

// A plain task's attempt is one slice; a chunk's run is one, with a slice inside it for each
// run of each element. Sent unasked once many have gathered, so that a worker's record stays
// small however long the client takes to ask.
void WorkerState::record_attempt(const Executor& self, const TaskSpec& spec, const AttemptResult& attempt) {
    constexpr std::size_t send_at = 8192;
    auto arrived = arrived_.extract(spec.task);
    auto start = self.started.time_since_epoch().count();
    append_attempt_events(events_, spec, attempt, std::uint32_t(&self - executors_.data()),
                          arrived ? arrived.mapped() : start, start, self.bytes_in);
    if (events_.runs() >= send_at) send_events(0, start + attempt.run_time.count());
}

void WorkerState::collect_events(std::int64_t asked_at, Clock::time_point now) {
    if (!stopping_) send_events(asked_at, now.time_since_epoch().count());
}

void WorkerState::send_events(std::int64_t asked_at, std::int64_t now) {
    std::uint64_t held = 0;
    for (const auto& [task, kept] : held_) held += kept.bytes->size();
    auto tasks = [](const TaskSpec& spec) { return std::uint64_t(std::max<std::uint32_t>(1, spec.elements)); };
    std::uint64_t queued = 0, running = 0;
    for (const auto& waiting : queue_) queued += tasks(waiting.spec);
    for (const auto& [task, fetching] : fetching_) queued += tasks(fetching.spec);
    for (const auto& e : executors_)
        if ((e.phase == Executor::Phase::running || e.phase == Executor::Phase::given_task) && e.spec) running += tasks(*e.spec);
    events_.counters.push_back({now, std::uint32_t(queued), std::uint32_t(running), held, done_});
    send(client_rank, Events{asked_at, now, encode_events(events_)});
    events_ = {};
}

std::vector<WorkerAction> WorkerState::take_actions() { return std::exchange(actions_, {}); }

std::size_t WorkerState::tasks_running() const {
    return std::size_t(std::count_if(executors_.begin(), executors_.end(),
                                     [](const Executor& e) { return e.phase == Executor::Phase::running; }));
}

std::size_t WorkerState::live_executors() const {
    return std::size_t(std::count_if(executors_.begin(), executors_.end(), [](const Executor& e) {
        return e.phase != Executor::Phase::given_up && e.phase != Executor::Phase::failed_to_start;
    }));
}

// The events about one executor come from the driver, which knows what each one does: an
// executor in another phase than the event implies is the driver's mistake.
WorkerState::Executor& WorkerState::executor(int id, Executor::Phase expected) {
    if (id < 0 || std::size_t(id) >= executors_.size() || executors_[std::size_t(id)].phase != expected)
        throw std::logic_error("executor " + std::to_string(id) + " is not in the state this event needs");
    return executors_[std::size_t(id)];
}

}  // namespace taskfarm::detail
