// The worker role: the threads and the transport around WorkerState (worker_state.hpp),
// which decides everything. The progress thread hands it the messages, the stop signal and
// the ticks; threads_per_worker executor threads run the tasks it gives them and hand it
// their outcomes. Whichever thread gave it an event carries out the instructions that
// follow, under the one mutex that guards the state, so a long task never blocks traffic.

#include "attempt.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "roles.hpp"
#include "task_output.hpp"
#include "worker_state.hpp"

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace taskfarm::detail {
namespace {

using Clock = Transport::Clock;

// One executor thread. Guarded by WorkerShared::mutex, except `thread`'s own operations,
// which only the thread that starts or gives it up performs (also under the mutex).
struct Executor {
    explicit Executor(int number) : id(number) {}
    const int id;  // its number in the WorkerState
    std::thread thread;
    std::condition_variable work_ready;
    std::shared_ptr<const TaskSpec> next;  // given to it (Execute), not yet picked up
    std::vector<InputBytes> next_inputs;    // with its inputs
    bool given_up = false;
};

// Shared with the executors, which may outlive serve_worker when a task is still running at
// shutdown or a thread was given up: such a thread touches nothing but this, and not the
// transport, once the worker is stopping or the thread given up.
struct WorkerShared {
    WorkerShared(Transport& worker_transport, const Options& worker_options)
        : transport(worker_transport), options(worker_options), state(worker_options, Clock::now(), own_rank()) {}
    Transport& transport;
    const Options options;
    std::mutex mutex;
    WorkerState state;
    std::vector<std::shared_ptr<Executor>> executors;  // the ones not given up
    int status = 0;  // the job's, from the Stop
};

using Shared = std::shared_ptr<WorkerShared>;

void serve_as_executor(const Shared& shared, const std::shared_ptr<Executor>& self);
void carry_out(const Shared& shared, std::unique_lock<std::mutex>& lock);

std::vector<std::shared_ptr<Executor>>::iterator find_executor(WorkerShared& shared, int id) {
    auto it = std::find_if(shared.executors.begin(), shared.executors.end(), [&](auto& e) { return e->id == id; });
    if (it == shared.executors.end()) throw std::logic_error("no executor thread " + std::to_string(id));
    return it;
}

// The instructions, each with shared.mutex held.
void perform(const Shared& shared, std::unique_lock<std::mutex>&, Execute& execute) {
    auto& executor = **find_executor(*shared, execute.executor);
    executor.next = std::move(execute.spec);
    executor.next_inputs = std::move(execute.inputs);
    executor.work_ready.notify_one();
}

void perform(const Shared& shared, std::unique_lock<std::mutex>&, Send& send) {
    shared->transport.post(send.destination, std::move(send.message));
}

void perform(const Shared& shared, std::unique_lock<std::mutex>&, GiveUpThread& give_up) {
    auto it = find_executor(*shared, give_up.executor);
    (*it)->given_up = true;
    (*it)->thread.detach();
    task_output_turn_given_up();  // it may hold descriptors 1 and 2 (task_output_dir)
    shared->executors.erase(it);
}

void perform(const Shared& shared, std::unique_lock<std::mutex>&, StartThread& start) {
    auto executor = std::make_shared<Executor>(start.executor);
    try {
        // The new thread waits for the mutex before it looks at anything. It speaks for this
        // worker, as the thread that starts it does (the local farm runs workers on threads).
        executor->thread = std::thread([shared, executor, &identity = current_identity()] {
            IdentityScope speaking_as(identity);
            serve_as_executor(shared, executor);
        });
    } catch (const std::system_error& e) {  // the system has no thread to give
        shared->state.thread_start_failed(start.executor, e.code().message());
        return;
    }
    shared->executors.push_back(std::move(executor));
    shared->state.thread_started(start.executor);
}

void perform(const Shared&, std::unique_lock<std::mutex>&, Log& log) { log_line(log.text); }

void perform(const Shared& shared, std::unique_lock<std::mutex>&, FinishWorker& finish) {
    shared->status = finish.status;
    for (auto& executor : shared->executors) executor->work_ready.notify_one();
    shared->transport.finish();
}

void perform(const Shared&, std::unique_lock<std::mutex>& lock, EndJob& end) {
    lock.unlock();  // the progress thread may need it to tell the other ranks first
    abort_job(end.status);
}

// Carries out what the state decided, with shared.mutex held by `lock`. Starting a thread
// makes the state decide more (thread_started or thread_start_failed): those instructions
// come next, before the rest.
void carry_out(const Shared& shared, std::unique_lock<std::mutex>& lock) {
    auto actions = shared->state.take_actions();
    for (std::size_t i = 0; i < actions.size(); ++i) {
        std::visit([&](auto& action) { perform(shared, lock, action); }, actions[i]);
        auto more = shared->state.take_actions();
        actions.insert(actions.begin() + static_cast<std::ptrdiff_t>(i + 1), std::make_move_iterator(more.begin()),
                       std::make_move_iterator(more.end()));
    }
}

void serve_as_executor(const Shared& shared, const std::shared_ptr<Executor>& self) {
    auto& state = shared->state;
    std::unique_lock lock(shared->mutex);
    for (;;) {
        self->work_ready.wait(lock, [&] { return state.stopping() || self->next; });
        if (state.stopping()) return;
        auto spec = std::move(self->next);
        auto inputs = std::move(self->next_inputs);
        if (!state.attempt_started(self->id, Clock::now())) continue;  // a drain came since it was given
        carry_out(shared, lock);  // Started, when the client keeps a journal
        lock.unlock();
        std::vector<std::span<const char>> input_spans;
        input_spans.reserve(inputs.size());
        for (const auto& input : inputs) input_spans.push_back(input.span());
        auto attempt = run_attempt(*spec, shared->options, input_spans);
        spec.reset();  // before the report: a Retry then moves the task's arguments instead of copying them
        inputs.clear();
        lock.lock();
        state.attempt_finished(self->id, std::move(attempt));
        // Given up: the watchdog reported this task long ago (the state drops this report),
        // and the worker may have stopped and its Transport be gone. Stopping: nothing more
        // is reported. Either way the thread ends here.
        if (self->given_up || state.stopping()) return;
        carry_out(shared, lock);
    }
}

}  // namespace

void initialize_worker_process(const Options& options) {
    if (!options.worker_initializer) return;
    // Once per process: the local farm's workers share one, and whatever the initializer sets
    // up (a model in a global) is theirs together. The other workers wait for it here.
    static std::once_flag once;
    std::call_once(once, [&] {
        try {
            options.worker_initializer();
        } catch (...) {
            auto error = describe_current_exception();
            fatal("the worker_initializer failed: " + error.type_name + ": " + error.message);
        }
    });
}

int serve_worker(Transport& transport, const Options& options, bool& abandoned_task) {
    auto shared = std::make_shared<WorkerShared>(transport, options);

    transport.on_stop_signal([shared] {
        std::unique_lock lock(shared->mutex);
        shared->state.stop_signal();
        carry_out(shared, lock);
    });
    // The watchdog (unisolated tasks only) and the heartbeat that tells the scheduler this
    // worker lives (Options::worker_timeout).
    if (auto interval = shared->state.tick_interval(); interval.count() > 0)
        transport.every(interval, [shared](Clock::time_point now) {
            std::unique_lock lock(shared->mutex);
            shared->state.time_passed(now);
            carry_out(shared, lock);
        });
    transport.start([shared](int source, Message&& message) {
        std::unique_lock lock(shared->mutex);
        auto& state = shared->state;
        bool timed = state.records_events() || std::holds_alternative<CollectEvents>(message);  // the clock costs
        state.received(source, std::move(message), timed ? Clock::now() : Clock::time_point{});
        carry_out(shared, lock);
    });
    // The transport runs meanwhile: the heartbeat goes on through a long initializer, and
    // the tasks that arrive wait in the queue until the executors start.
    initialize_worker_process(options);
    {
        std::unique_lock lock(shared->mutex);
        shared->state.start_executors();
        carry_out(shared, lock);
    }
    transport.join();

    // The progress thread has ended: nothing else changes the list of executors now.
    std::vector<std::shared_ptr<Executor>> executors;
    bool task_running;
    int status;
    {
        std::lock_guard lock(shared->mutex);
        task_running = shared->state.tasks_running() > 0;
        // A given-up thread is detached and may still be running (or only just ending): the
        // process must not run its static destructors under it either.
        abandoned_task = task_running || shared->state.threads_given_up() > 0;
        executors = shared->executors;
        status = shared->status;
    }
    if (task_running) log_line("the farm shut down while a task was still running; its result is dropped");
    for (auto& executor : executors) {
        // A task cannot be interrupted; it is abandoned and ends with the process.
        if (abandoned_task)
            executor->thread.detach();
        else
            executor->thread.join();
    }
    return status;
}

}  // namespace taskfarm::detail
