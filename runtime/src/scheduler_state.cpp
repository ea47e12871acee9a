#include "scheduler_state.hpp"

#include "startup.hpp"

#include <taskfarm/detail/task.hpp>  // has_runs_left

#include <algorithm>
#include <stdexcept>

namespace taskfarm::detail {

SchedulerState::SchedulerState(std::vector<int> workers, WindowPolicy window, Liveness liveness,
                               std::vector<Resources> resources)
    : policy_(window), liveness_(liveness), now_(liveness.start) {
    if (!resources.empty() && resources.size() != workers.size())
        throw std::invalid_argument("a scheduler needs the resources of every worker, or of none");
    if (workers.empty()) throw std::invalid_argument("a scheduler needs at least one worker");
    if (window.min == 0 || window.max < window.min)
        throw std::invalid_argument("a scheduler's window must be at least 1 and its maximum at least its minimum");
    for (int rank : workers) {
        if (rank < 0) throw std::invalid_argument("a worker's rank must be 0 or more");
        if (static_cast<std::size_t>(rank) >= worker_index_.size()) worker_index_.resize(std::size_t(rank) + 1, -1);
        worker_index_[std::size_t(rank)] = static_cast<int>(workers_.size());
        auto& worker = workers_.emplace_back();
        worker.rank = rank;
        worker.window = policy_.min;
        worker.heard = liveness.start;
        if (!resources.empty()) worker.total = worker.free = resources[workers_.size() - 1];
    }
    live_workers_ = workers_.size();
}

void SchedulerState::task_submitted(TaskSpec spec) {
    if (stopped_) return;
    if (spec.task <= last_submitted_)
        throw ProtocolError("task ids must grow: got " + std::to_string(spec.task) + " after " +
                            std::to_string(last_submitted_));
    last_submitted_ = spec.task;
    if (spec.broadcast) return broadcast(std::move(spec));
    bool some_worker_has_it = std::any_of(workers_.begin(), workers_.end(), [&](const Worker& w) {
        return !w.lost && covers(w.total, spec.resources);
    });
    if (!some_worker_has_it && live_workers_ > 0) {  // it would wait for ever: it fails now
        actions_.push_back(FailTask{spec.task, -1, spec.attempt, true, spec.resources});
        return;
    }
    // Its inputs: held by a worker (or, from the journal, the client) already, or still to
    // come from a task the scheduler knows. Any other is gone: it failed here, or its
    // worker was lost (the client keeps an input's task alive while a task needs it).
    std::size_t missing = 0;
    for (const auto& input : spec.inputs) {
        if (input.holder >= 0 || available(input.task)) continue;
        if (!pending(input.task)) {
            actions_.push_back(FailTask{spec.task, -1, spec.attempt, false, {},
                                        "its input, task " + std::to_string(input.task + input.element) +
                                            ", has no result to give: it failed before it ran, or the worker that "
                                            "held its result was lost"});
            return;
        }
        auto& waiters = waiters_[input.task];
        if (waiters.empty() || waiters.back() != spec.task) {
            waiters.push_back(spec.task);
            ++missing;
        }
    }
    if (missing > 0) {
        auto task = spec.task;
        waiting_.emplace(task, Waiting{std::move(spec), missing});
        return;
    }
    queue_.push(std::move(spec));
    dispatch();
}

void SchedulerState::broadcast(TaskSpec spec) {
    auto& copies = broadcast_[spec.task];
    for (const auto& worker : workers_) {
        if (worker.lost) continue;
        copies.pending.push_back(worker.rank);
        actions_.push_back(SendTask{worker.rank, spec});
    }
    if (!copies.pending.empty()) return;
    broadcast_.erase(spec.task);
    actions_.push_back(FailTask{spec.task, -1, spec.attempt});  // every worker was lost
}

void SchedulerState::copy_done(int worker, TaskId task, bool held, std::uint64_t held_bytes) {
    auto& copies = broadcast_.at(task);
    auto sent = std::find(copies.pending.begin(), copies.pending.end(), worker);
    if (sent == copies.pending.end())
        throw ProtocolError("rank " + std::to_string(worker) + " reported its copy of task " + std::to_string(task) +
                            " done, but none was on its way there");
    copies.pending.erase(sent);
    if (held && copies.released) {
        actions_.push_back(ReleaseResult{worker, task});
    } else if (held) {
        copies.kept.push_back({worker, held_bytes});
        this->worker(worker).held_bytes += held_bytes;
    }
    if (!copies.pending.empty()) return;
    if (copies.released) {
        broadcast_.erase(task);
        return input_done(task, -1, "was cancelled");
    }
    input_done(task, copies.kept.empty() ? -1 : copies.kept.front().worker, "was dropped by every worker before it ran");
}

void SchedulerState::release_copies(TaskId task) {
    auto& copies = broadcast_.at(task);
    for (const auto& kept : copies.kept) {
        actions_.emplace_back(std::in_place_type<ReleaseResult>, kept.worker, task);
        if (auto* w = find_worker(kept.worker)) w->held_bytes -= std::min(w->held_bytes, kept.bytes);
    }
    copies.kept.clear();
    for (int worker : copies.pending)  // dropped there if not started
        actions_.emplace_back(std::in_place_type<ReleaseResult>, worker, task);
    if (copies.pending.empty()) broadcast_.erase(task);
    else copies.released = true;
}

void SchedulerState::lose_copies(int worker) {
    std::vector<TaskId> gone;
    for (auto& [task, copies] : broadcast_) {
        std::erase_if(copies.kept, [&](const Held& kept) { return kept.worker == worker; });
        auto was_pending = std::erase(copies.pending, worker) > 0;
        if (!copies.pending.empty()) continue;
        if (copies.kept.empty() || copies.released) gone.push_back(task);
        else if (was_pending) input_done(task, copies.kept.front().worker);  // the copies left are all there is
    }
    for (auto task : gone) {
        bool released = broadcast_.at(task).released;
        broadcast_.erase(task);
        input_done(task, -1, released ? "was cancelled" : "had its copies on workers that were lost");
    }
}

void SchedulerState::input_done(TaskId done, int holder, const std::string& why_not) {
    auto it = waiters_.find(done);
    if (it == waiters_.end()) return;
    if (holder < 0) return fail_waiters(done, why_not);
    auto waiters = std::move(it->second);
    waiters_.erase(it);
    for (auto task : waiters) {
        auto waiting = waiting_.find(task);
        if (waiting == waiting_.end() || --waiting->second.missing > 0) continue;  // released, or more to come
        auto spec = std::move(waiting->second.spec);
        waiting_.erase(waiting);
        // Older than tasks queued after it: into its place by id (push appends, and contains()
        // and requeue() search each list as sorted by id).
        queue_.requeue(std::move(spec));
    }
}

void SchedulerState::fail_waiters(TaskId failed, const std::string& why) {
    // Iterative: a chain of 10 000 waiting tasks fails without 10 000 nested calls. Every
    // task that fails names the same first cause, so no message grows with the chain.
    auto text = "task " + std::to_string(failed) + ", which it needs (directly or through its inputs), " + why;
    std::vector<TaskId> failing{failed};
    while (!failing.empty()) {
        auto id = failing.back();
        failing.pop_back();
        auto it = waiters_.find(id);
        if (it == waiters_.end()) continue;
        auto waiters = std::move(it->second);
        waiters_.erase(it);
        for (auto task : waiters) {
            auto waiting = waiting_.find(task);
            if (waiting == waiting_.end()) continue;
            auto attempt = waiting->second.spec.attempt;
            waiting_.erase(waiting);
            if (released_.erase(task) == 0) actions_.push_back(FailTask{task, -1, attempt, false, {}, text});
            failing.push_back(task);
        }
    }
}

void SchedulerState::inputs_lost(const std::unordered_set<TaskId>& gone, int lost_worker) {
    auto needs_gone = [&](const TaskSpec& spec) {
        return std::any_of(spec.inputs.begin(), spec.inputs.end(),
                           [&](const TaskInput& input) { return input.holder < 0 && gone.count(input.task); }) ||
               std::any_of(spec.inputs.begin(), spec.inputs.end(), [&](const TaskInput& input) {
                   return input.holder == lost_worker && !broadcast_.count(input.task);  // other copies remain
               });
    };
    auto why = "was held on worker rank " + std::to_string(lost_worker) + ", which was declared lost";
    std::vector<std::pair<TaskId, std::uint32_t>> failed;
    for (auto& spec : queue_.take_if(needs_gone)) failed.emplace_back(spec.task, spec.attempt);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (!needs_gone(it->second.spec)) {
            ++it;
            continue;
        }
        failed.emplace_back(it->first, it->second.spec.attempt);
        it = waiting_.erase(it);
    }
    for (auto& [task, placement] : running_) {  // sent to another worker, which would wait for ever
        if (std::find(placement.input_holders.begin(), placement.input_holders.end(), lost_worker) ==
            placement.input_holders.end())
            continue;
        if (released_.insert(task).second) {
            failed.emplace_back(task, placement.attempt);
            actions_.push_back(ReleaseResult{placement.worker, task});  // it drops the task, or its result
        }
    }
    std::sort(failed.begin(), failed.end());
    for (auto& [task, attempt] : failed) {
        avoid_.erase(task);
        if (running_.count(task) == 0 && released_.erase(task) > 0) continue;  // the client let it go already
        actions_.push_back(FailTask{task, -1, attempt, false, {}, "an input it needs " + why});
        fail_waiters(task, "did not run: an input it needs " + why);
    }
}

bool SchedulerState::fill_holders(TaskSpec& spec, int worker, std::vector<int>& holders) const {
    for (auto& input : spec.inputs) {
        if (auto copies = broadcast_.find(input.task); copies != broadcast_.end()) {
            // Read where it runs; a worker without a copy (it failed to keep one) fetches one.
            const auto& kept = copies->second.kept;
            if (kept.empty()) return false;
            bool here = std::any_of(kept.begin(), kept.end(), [&](const Held& h) { return h.worker == worker; });
            input.holder = here ? worker : kept.front().worker;
            if (!here) holders.push_back(input.holder);
            continue;
        }
        if (input.holder < 0) {
            auto held = holder_.find(input.task);
            if (held == holder_.end()) return false;
            input.holder = held->second.worker;
        }
        if (find_worker(input.holder) && std::find(holders.begin(), holders.end(), input.holder) == holders.end())
            holders.push_back(input.holder);
    }
    return true;
}

void SchedulerState::task_done(int worker, TaskId task, bool held, std::chrono::nanoseconds run_time,
                               std::uint64_t held_bytes) {
    if (stopped_) return;
    if (broadcast_.count(task)) {
        copy_done(worker, task, held, held_bytes);
        return dispatch();  // what waited for it may go
    }
    auto running = running_.find(task);
    if (running == running_.end() || running->second.worker != worker)
        throw ProtocolError("rank " + std::to_string(worker) + " reported task " + std::to_string(task) +
                            " done, but it was not running there");
    auto& w = this->worker(worker);
    sent_back(w, running->second);
    forget_sent(task);
    learn_run_time(w, run_time);
    bool released = released_.erase(task) > 0;
    if (held) {
        if (released) actions_.push_back(ReleaseResult{worker, task});
        else if (holder_.emplace(task, Held{worker, held_bytes}).second) w.held_bytes += held_bytes;
    }
    input_done(task, held && !released ? worker : -1,
               released ? "was cancelled" : "was dropped by its worker before it ran");
    dispatch();
}

void SchedulerState::task_retried(int worker, TaskSpec spec) {
    if (stopped_) return;
    auto running = running_.find(spec.task);
    if (running == running_.end() || running->second.worker != worker)
        throw ProtocolError("rank " + std::to_string(worker) + " asked to retry task " + std::to_string(spec.task) +
                            ", which was not running there");
    spec.resources = running->second.resources;  // as sent: the worker's copy is not trusted to match
    sent_back(this->worker(worker), running->second);
    forget_sent(spec.task);
    if (released_.erase(spec.task) == 0) {
        avoid_[spec.task] = worker;
        requeue(std::move(spec));
    }
    dispatch();
}

void SchedulerState::requeue(TaskSpec spec) { queue_.requeue(std::move(spec)); }

void SchedulerState::sent_back(Worker& worker, const Placement& placement) {
    --worker.in_flight;
    --in_flight_;
    for (const auto& [name, amount] : placement.resources) worker.free[name] += amount;
}

void SchedulerState::fail_unsatisfiable() {
    auto no_live_worker_has = [&](const ResourceRequest& request) {
        return std::none_of(workers_.begin(), workers_.end(),
                            [&](const Worker& w) { return !w.lost && covers(w.total, request); });
    };
    for (auto& spec : queue_.take_unsatisfiable(no_live_worker_has)) {
        avoid_.erase(spec.task);
        if (released_.erase(spec.task) == 0) actions_.push_back(FailTask{spec.task, -1, spec.attempt, true, spec.resources});
        fail_waiters(spec.task, "cannot run: no live worker has the resources it asks for");
    }
}

double SchedulerState::free_resource(int worker, const std::string& name) const {
    const auto* w = find_worker(worker);
    if (!w) return 0;
    auto it = w->free.find(name);
    return it == w->free.end() ? 0 : it->second;
}

void SchedulerState::task_released(TaskId task) {
    if (stopped_) return;
    if (broadcast_.count(task)) return release_copies(task);
    if (auto held = holder_.find(task); held != holder_.end()) {
        actions_.push_back(ReleaseResult{held->second.worker, task});
        forget_held(held);
    } else if (auto running = running_.find(task); running != running_.end()) {
        // The worker drops it if it has not started; otherwise the result is freed when done.
        released_.insert(task);
        actions_.push_back(ReleaseResult{running->second.worker, task});
    } else if (queue_.contains(task)) {
        released_.insert(task);  // dropped when it comes to the head of its group
    } else if (waiting_.erase(task) > 0) {
        // Let go while waiting for its inputs: it is simply forgotten (the lists of waiters it
        // is on skip it). Tasks waiting for it fail, as for a task cancelled in the queue.
        fail_waiters(task, "was cancelled");
    }
    // Otherwise the task finished with its result sent inline: nothing is kept anywhere.
}

void SchedulerState::shutdown_requested(int status) {
    if (stopped_) return;
    stopped_ = true;
    stopped_at_ = now_;
    stop_status_ = status;
    for (const auto& worker : workers_)
        if (!worker.lost) actions_.push_back(StopWorker{worker.rank, status});
    if (live_workers_ == workers_.size()) {
        actions_.push_back(FinishScheduler{});
    } else {
        aborting_ = true;
        actions_.push_back(AbortJob{status != 0 ? status : status_worker_lost});
    }
}

void SchedulerState::drain_requested() {
    if (stopped_ || draining_) return;
    draining_ = true;
    for (const auto& worker : workers_)
        if (!worker.lost) actions_.push_back(DrainWorker{worker.rank});
}

void SchedulerState::worker_heard(int worker) {
    if (auto* w = find_worker(worker)) w->heard = now_;
}

void SchedulerState::time_passed(Clock::time_point now) {
    auto since_last = now - now_;
    now_ = now;
    if (liveness_.timeout.count() <= 0) return;
    if (stopped_) {
        // The end normally completes in milliseconds; while it has not, time still passes
        // here. A rank that froze on its way there would hold every other rank for ever.
        if (!aborting_ && now - stopped_at_ > liveness_.timeout) {
            aborting_ = true;
            actions_.push_back(AbortJob{stop_status_ != 0 ? stop_status_ : status_worker_lost, true});
        }
        return;
    }
    // A long gap means the scheduler itself did not run (a laptop that slept, a stalled
    // node): what the workers sent meanwhile is still unread, so nobody counts as silent.
    if (since_last > liveness_.timeout / 2) {
        for (auto& worker : workers_) worker.heard = now;
        return;
    }
    for (auto& worker : workers_)
        if (!worker.lost && now - worker.heard > liveness_.timeout) lose(worker);
}

void SchedulerState::forget_held(std::unordered_map<TaskId, Held>::iterator held) {
    if (auto* w = find_worker(held->second.worker)) w->held_bytes -= std::min(w->held_bytes, held->second.bytes);
    holder_.erase(held);
}

std::uint64_t SchedulerState::bytes_held(int worker) const {
    const auto* w = find_worker(worker);
    return w ? w->held_bytes : 0;
}

bool SchedulerState::is_lost(int worker) const {
    const auto* w = find_worker(worker);
    return w && w->lost;
}

void SchedulerState::lose(Worker& worker) {
    worker.lost = true;
    --live_workers_;
    LoseWorker lost{worker.rank, 0, 0};
    // Its tasks, queued or running there, in id order so that reruns keep their place.
    std::vector<std::pair<TaskId, Placement>> stranded;
    for (const auto& [task, placement] : running_)
        if (placement.worker == worker.rank) stranded.emplace_back(task, placement);
    std::sort(stranded.begin(), stranded.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<TaskId> stranded_failed;  // will never have a result
    for (const auto& [task, placement] : stranded) {
        auto copy = rerunnable_.find(task);
        bool wanted = released_.erase(task) == 0;
        if (!wanted || copy == rerunnable_.end()) stranded_failed.push_back(task);
        if (wanted && copy != rerunnable_.end()) {
            auto spec = std::move(copy->second);
            ++spec.attempt;  // the lost run counts as one
            requeue(std::move(spec));
            ++lost.tasks_rerun;
        } else if (wanted) {
            actions_.push_back(FailTask{task, worker.rank, placement.attempt});
            ++lost.tasks_failed;
        }
        forget_sent(task);
    }
    in_flight_ -= worker.in_flight;
    worker.in_flight = 0;
    std::unordered_set<TaskId> gone;
    worker.held_bytes = 0;
    lose_copies(worker.rank);
    std::erase_if(holder_, [&](auto& held) {
        if (held.second.worker != worker.rank) return false;
        gone.insert(held.first);
        return true;
    });
    // LoseWorker first: the client must know before it reads the failures that name it.
    actions_.insert(actions_.end() - static_cast<std::ptrdiff_t>(lost.tasks_failed), lost);
    for (auto task : stranded_failed)
        fail_waiters(task, "did not finish: it was on worker rank " + std::to_string(worker.rank) + ", which was declared lost");
    inputs_lost(gone, worker.rank);
    if (live_workers_ > 0) fail_unsatisfiable();  // what only this worker could run
    dispatch();
}

std::vector<SchedulerAction> SchedulerState::take_actions() { return std::exchange(actions_, {}); }

std::size_t SchedulerState::in_flight(int worker) const {
    const auto* w = find_worker(worker);
    return w ? w->in_flight : 0;
}

std::size_t SchedulerState::window(int worker) const {
    const auto* w = find_worker(worker);
    return w ? w->window : 0;
}

SchedulerState::Worker* SchedulerState::find_worker(int rank) {
    if (rank < 0 || static_cast<std::size_t>(rank) >= worker_index_.size()) return nullptr;
    int index = worker_index_[std::size_t(rank)];
    return index < 0 ? nullptr : &workers_[std::size_t(index)];
}

const SchedulerState::Worker* SchedulerState::find_worker(int rank) const {
    return const_cast<SchedulerState*>(this)->find_worker(rank);
}

SchedulerState::Worker& SchedulerState::worker(int rank) {
    auto* w = find_worker(rank);
    if (!w) throw ProtocolError("rank " + std::to_string(rank) + " is not a worker");
    return *w;
}

void SchedulerState::learn_run_time(Worker& worker, std::chrono::nanoseconds run_time) {
    if (run_time.count() <= 0 || policy_.min == policy_.max) return;
    constexpr double weight = 1.0 / 8;  // of the newest task: follows a change within a few dozen tasks
    auto sample = double(run_time.count());
    worker.mean_run_ns = worker.mean_run_ns == 0 ? sample : worker.mean_run_ns + weight * (sample - worker.mean_run_ns);
    auto tasks = double(policy_.work_ahead.count()) / worker.mean_run_ns;
    worker.window = static_cast<std::size_t>(std::clamp(tasks, double(policy_.min), double(policy_.max)));
}

// A worker's window is sized from the run times of its recent tasks: after hundreds of tiny
// tasks it is wide, and when long tasks come next it would take all of them while another
// worker idles. So no worker holds more than its share of the work in the farm (queued or in
// flight), rounded up: ready tasks spread over the workers, and what is over stays queued
// here until a worker has room (issue 14, item 9; SchedulerState.ReadyTasksSpreadOverIdleWorkers...).
std::size_t SchedulerState::fair_share(bool one_left_out) const {
    if (live_workers_ == 0) return policy_.min;
    auto workers = live_workers_ - (one_left_out && live_workers_ > 1 ? 1 : 0);
    auto work = queue_.size() + in_flight_;
    // Never below the smallest window (one task running, one waiting per thread), which keeps
    // a pipeline when the client submits as fast as the workers run.
    return std::max((work + workers - 1) / workers, policy_.min);
}

int SchedulerState::avoided_worker(const TaskSpec& spec) const {
    auto it = avoid_.find(spec.task);
    if (it == avoid_.end()) return -1;
    // A retry avoids the worker it failed on while another live worker could run it at all.
    bool elsewhere = std::any_of(workers_.begin(), workers_.end(), [&](const Worker& w) {
        return !w.lost && w.rank != it->second && covers(w.total, spec.resources);
    });
    const auto* avoided = find_worker(it->second);
    return elsewhere && avoided && !avoided->lost ? it->second : -1;
}

// Data stays where it is when it can (issue 14, item 2): a task with inputs goes to the
// worker that keeps most of its input bytes (ties: the lower rank). bytes: how many of them.
SchedulerState::Worker* SchedulerState::holder_of_most_input(const TaskSpec& spec, std::uint64_t& bytes) {
    std::unordered_map<int, std::uint64_t> bytes_on;  // worker rank → its bytes of the task's inputs
    for (const auto& input : spec.inputs)
        if (auto held = holder_.find(input.task); held != holder_.end()) bytes_on[held->second.worker] += held->second.bytes;
    Worker* best = nullptr;
    bytes = 0;
    for (const auto& [rank, on_rank] : bytes_on) {  // ties: the lower rank, whatever the map's order
        auto* w = find_worker(rank);
        if (!w || w->lost) continue;
        if (!best || on_rank > bytes || (on_rank == bytes && rank < best->rank)) {
            best = w;
            bytes = on_rank;
        }
    }
    return best;
}

// How many tasks past its window a worker may be sent that keeps a task's input bytes: one
// more window, or more when its tasks are short beside moving those bytes: as many of its
// tasks as run (by its recent mean) while the bytes would move. Measured in docs/design.md.
std::size_t SchedulerState::room_for_local_inputs(const Worker& worker, std::uint64_t bytes, std::size_t window) const {
    if (worker.mean_run_ns <= 0) return window;
    double move_ns = transfer_latency_ns + double(bytes) * transfer_ns_per_byte;
    return std::max(window, static_cast<std::size_t>(move_ns / worker.mean_run_ns));
}

SchedulerState::Worker* SchedulerState::place(const TaskSpec& spec) {
    int avoid = avoided_worker(spec);
    auto share = fair_share(avoid >= 0);
    const auto& request = spec.resources;
    auto limit = [&](const Worker& w) { return std::min(w.window, share); };
    if (place_by_input_bytes_ && !spec.inputs.empty()) {
        std::uint64_t bytes = 0;
        auto* local = holder_of_most_input(spec, bytes);
        if (local && local->rank != avoid && covers(local->free, request) &&
            local->in_flight < limit(*local) + room_for_local_inputs(*local, bytes, limit(*local)))
            return local;
    }
    Worker* roomiest = nullptr;
    for (auto& w : workers_) {
        if (w.lost || w.rank == avoid || w.in_flight >= limit(w) || !covers(w.free, request)) continue;
        if (!roomiest || w.in_flight + limit(*roomiest) < roomiest->in_flight + limit(w)) roomiest = &w;
    }
    return roomiest;
}

void SchedulerState::dispatch() {
    while (!queue_.empty() && !draining_) {
        // The best task some worker can take now: a group whose resources are all taken (every
        // GPU busy) is passed over, and the tasks behind it go.
        const auto* head = queue_.best([&](const TaskSpec& candidate) {
            // A released head is taken too: it is dropped below.
            return live_workers_ == 0 || released_.count(candidate.task) > 0 || place(candidate) != nullptr;
        });
        if (!head) return;
        auto task = head->task;
        if (released_.erase(task) > 0) {  // cancelled before it was sent
            avoid_.erase(task);
            queue_.take(*head);
            fail_waiters(task, "was cancelled");
            continue;
        }
        if (live_workers_ == 0) {  // every worker was lost: nothing will ever run it
            actions_.push_back(FailTask{task, -1, head->attempt});
            avoid_.erase(task);
            queue_.take(*head);
            fail_waiters(task, "could not run: every worker was lost");
            continue;
        }
        auto* worker = place(*head);  // best() found one for it, and nothing changed since
        if (!worker) return;
        avoid_.erase(task);
        auto spec = queue_.take(*head);
        std::vector<int> input_holders;
        if (!fill_holders(spec, worker->rank, input_holders)) {  // cannot happen: lost inputs fail their tasks (inputs_lost)
            actions_.push_back(FailTask{task, -1, spec.attempt, false, {}, "an input it needs has no result"});
            fail_waiters(task, "did not run: an input it needs has no result");
            continue;
        }
        ++worker->in_flight;
        ++in_flight_;
        for (const auto& [name, amount] : spec.resources) worker->free[name] -= amount;
        running_.emplace(task, Placement{worker->rank, spec.attempt, spec.resources, std::move(input_holders)});
        if (liveness_.timeout.count() > 0 && has_runs_left(spec.attempt, spec.retries)) rerunnable_.emplace(task, spec);
        actions_.push_back(SendTask{worker->rank, std::move(spec)});
    }
}

}  // namespace taskfarm::detail
