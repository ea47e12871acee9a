#pragma once
// The client's side of the farm: task states, and the messages that resolve them.

#include "attempt.hpp"
#include "journal.hpp"
#include "local_farm.hpp"
#include "mpi_transport.hpp"
#include "progress.hpp"
#include "trace_record.hpp"
#include "transport.hpp"
#include "wire.hpp"

#include <taskfarm/client.hpp>
#include <taskfarm/wait.hpp>

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <map>
#include <thread>
#include <unordered_map>

namespace taskfarm::detail {

enum class TaskStatus { pending, value, held, error, cancelled };

// Indices of watched tasks, in the order they finished. Guarded by the core's mutex.
class CompletionQueue {
public:
    std::shared_ptr<ClientCore> core;
    std::deque<std::size_t> done;
};

struct Watcher {
    std::shared_ptr<CompletionQueue> queue;
    std::size_t index;
    const TaskState* element;  // the element of a chunk this watch is for, or null
};

// Where one element's outcome lies in its chunk's result.
struct ElementResult {
    bool ok;
    std::size_t offset;
    std::size_t size;
};

// A task, or an element of a map's chunk. An element has no wire identity of its own: it
// waits on its chunk and reads its outcome out of the chunk's result. Its id is its
// chunk's plus 1 plus its index, so that a worker can name it too. The chunk lives as
// long as one of its elements does; when the last goes, the chunk is released like any task.
struct TaskState {
    std::shared_ptr<ClientCore> core;
    TaskId id = 0;
    std::shared_ptr<TaskState> chunk;  // set for an element
    std::uint32_t index = 0;           // an element's place in its chunk
    std::uint32_t elements = 0;        // a chunk: how many elements it carries
    // Guarded by core->mutex_.
    TaskStatus status = TaskStatus::pending;  // an element uses it only for cancelled
    Bytes payload;  // the result (value), or the encoded TaskFailure (error)
    int holder = -1;
    bool fetch_requested = false;
    bool fetched = false;
    bool keep_running = false;  // fire_and_forget: runs to the end without a Future
    std::uint64_t pending_bytes = 0;  // its arguments' bytes, counted in the farm's until it is done
    // Made on first use, since most tasks need neither: who waits on this task through
    // wait_any/as_completed, and a chunk's outcomes once read. Keeps a pending task small.
    struct Extras {
        std::vector<Watcher> watchers;
        std::vector<ElementResult> elements;
        // Task graphs: the tasks whose results this one takes as Future arguments, kept alive
        // (so not released) until it is done; and the tasks that take this one's, which a
        // cancel() here cancels too.
        std::vector<std::shared_ptr<TaskState>> inputs;
        std::vector<std::weak_ptr<TaskState>> dependents;
        std::optional<TaskKey> journal_key;  // while a journal is kept: what it is, for the keys of its dependents
    };
    std::unique_ptr<Extras> extras;
    Extras& more() {
        if (!extras) extras = std::make_unique<Extras>();
        return *extras;
    }

    ~TaskState();
};

// The task whose messages decide this one's fate: itself, or for an element its chunk.
inline TaskState& carrier(TaskState& task) { return task.chunk ? *task.chunk : task; }

class ClientCore : public std::enable_shared_from_this<ClientCore> {
public:
    // Without a transport, tasks run inline as they are submitted. local_farm: the roles the
    // transport talks to, when they are threads of this process. journal: opened at start-up
    // when Options::journal names one (start-up is agreed on, so it opens first).
    ~ClientCore();
    // hosts: by rank (for the trace).
    ClientCore(std::shared_ptr<MpiSession> session, std::unique_ptr<Transport> transport,
               std::shared_ptr<LocalFarm> local_farm, Options options, std::unique_ptr<Journal> journal,
               std::vector<std::string> hosts = {});

    // elements: a map's chunk of that many elements; 0 for a plain task. inputs: the tasks
    // whose results are its Future arguments (submit_task).
    std::shared_ptr<TaskState> submit(const TaskCode& code, Bytes args, const TaskOptions& options,
                                      std::uint32_t elements = 0, std::vector<std::shared_ptr<TaskState>> inputs = {},
                                      bool broadcast = false);
    std::vector<std::shared_ptr<TaskState>> submit_chunk(const TaskCode& code, Bytes args, std::uint32_t count,
                                                         const TaskOptions& options);
    void wait(TaskState& task);
    bool wait_until(TaskState& task, std::chrono::steady_clock::time_point deadline);
    bool ready(TaskState& task);
    bool failed(TaskState& task);
    bool cancelled(TaskState& task);
    std::exception_ptr exception(TaskState& task);
    void cancel(TaskState& task);
    void keep_running(TaskState& task);
    std::span<const char> result_bytes(TaskState& task);
    void prefetch(TaskState& task);
    void forget(TaskState& task);
    std::shared_ptr<CompletionQueue> watch(std::span<TaskState* const> tasks);
    // Watches one more task on a queue, as number `index`.
    void watch_more(const std::shared_ptr<CompletionQueue>& queue, TaskState& task, std::size_t index);
    std::size_t next_completed(CompletionQueue& queue);
    std::optional<std::size_t> next_completed_until(CompletionQueue& queue, std::chrono::steady_clock::time_point deadline);

    // Ends the farm with this exit status on every rank, then finalises MPI. Idempotent.
    // unwinding: an exception is leaving the client's code (the Client is being destroyed by it).
    void shutdown(int status, bool unwinding = false);
    bool closed();
    int workers() const { return workers_; }
    const Options& options() const { return options_; }
    // After shutdown: the local farm left a task's thread running (LocalFarm::abandoned_tasks).
    bool abandoned_tasks() const { return local_farm_ && local_farm_->abandoned_tasks(); }
    bool journaling() const { return journal_ != nullptr; }
    // The trace and the report as far as the run went, now (an exception is ending the
    // program). Not in a process a task forked (isolate), which has a copy of this core. If
    // the client's state stays locked (the exception left from inside the runtime), says so
    // rather than wait.
    void write_last_pages();
    Stats stats();
    std::size_t frames_sent() const { return transport_ ? transport_->frames_sent() : 0; }

private:
    void on_message(int source, Message&& message);
    AttemptResult run_inline(const TaskSpec& spec, std::span<const std::span<const char>> inputs = {});
    // A task with Future arguments (inputs), under mutex_: fills in spec.inputs, and says
    // whether it can be sent. It is not when an input failed or was cancelled already (then
    // the task is completed here, as failed or cancelled, without running).
    bool add_inputs(TaskState& task, TaskSpec& spec, const std::vector<std::shared_ptr<TaskState>>& inputs);
    // Inline: the bytes of each input (which are all done), or false when one failed or was
    // cancelled (the task is then completed so).
    bool inline_inputs(TaskState& task, const std::vector<std::shared_ptr<TaskState>>& inputs,
                       std::vector<std::span<const char>>& bytes);
    // A worker asks for an input only this client holds (a result from the journal).
    void serve_input(int source, const FetchInput& wanted);
    // Cancels the tasks that take this one's result, and theirs (cancel()). Needs mutex_ held.
    void cancel_dependents(TaskState& task);
    // TaskStates let go of under mutex_ (a finished task's inputs): destroyed after it is
    // unlocked, since the last reference's destructor takes mutex_ (forget).
    std::vector<std::shared_ptr<TaskState>> take_let_go() { return std::exchange(let_go_, {}); }
    // From the journal: the task's result if an earlier run finished it, or its failure if
    // it is poison. Needs mutex_ held.
    bool complete_from_journal(TaskState& task, const TaskKey& key);
    // The next ones need mutex_ held.
    void watch_locked(const std::shared_ptr<CompletionQueue>& queue, TaskState& task, std::size_t index);
    void read_elements(TaskState& chunk);
    // The outcome of a task that is done: its result's bytes, or it throws its TaskError
    // (CancelledError). An element's result lies in its chunk's, which must be here.
    std::span<const char> outcome(TaskState& task);
    void request_fetch(TaskState& task);
    // Tells the scheduler to let go of the task (cancel it, or drop its outcome on its worker).
    void release(TaskId task);
    // A task left to run by fire_and_forget, whose last Future is gone, has ended.
    void unowned_task_ended(int source, TaskId task, std::uint32_t elements, const Finished& finished);
    // A task left to run by fire_and_forget ended (on `rank`): nobody will call get(), so a
    // failure (of a chunk: how many of its elements, and the first) is said in a line.
    void say_if_failed(TaskId task, int rank, std::uint32_t elements, TaskStatus status, std::span<const char> payload);
    // from_journal: the result was recorded by an earlier run (progress counts it apart).
    void complete(TaskState& task, TaskStatus status, Bytes payload, bool from_journal = false);
    // Counts a task (a chunk: its elements) as finished so (counts_). Needs mutex_ held.
    void count_finished(TaskStatus status, std::uint32_t elements, std::span<const char> payload, bool from_journal);
    // The scheduler declared this worker lost: the results it held are gone.
    void worker_lost(int worker);
    // Before the farm ends: brings over every result a live Future refers to that is still
    // held on its worker, so that get() works after shutdown too. Needs mutex_ held.
    void fetch_held_results(std::unique_lock<std::mutex>& lock);
    // Before the farm ends: with status 0, waits for the tasks left to run by fire_and_forget;
    // otherwise (or while an exception unwinds the client) says how many will not finish.
    // Needs mutex_ held.
    void finish_kept_tasks(std::unique_lock<std::mutex>& lock, int status, bool unwinding);
    void wait_locked(std::unique_lock<std::mutex>& lock, TaskState& task, bool need_payload);
    void shut_down(int status, bool unwinding);  // shutdown's body, once
    // The trace (Options::trace): asks every live worker for its events (on the progress
    // thread's tick, and at the end), and writes the file at the end.
    void collect_events(std::int64_t asked_at);
    // Before the farm ends: the last events of every live worker, waited for a while. Needs mutex_ held.
    void collect_last_events(std::unique_lock<std::mutex>& lock);
    // Writes the trace and the report (Options::trace, Options::report), as far as the run went.
    void write_trace();
    // A task failed for good: its failure record goes to the report. Needs mutex_ held.
    void trace_failure(TaskId task, std::span<const char> payload);
    TraceData trace_data();  // takes mutex_
    TraceData trace_data_locked();
    std::mutex report_write_mutex_;
    void write_report(const TraceData& data, bool final);
    void write_final_pages(const TraceData& data);  // the trace and the report, last versions
    void start_report_thread();
    // Options::trace or report: the record, the collection every second, the report's thread.
    void start_recording();
    void stop_report_thread();
    // Rewrites the report every report_interval while the farm runs (Options::report).
    std::thread report_thread_;
    bool report_thread_stop_ = false;  // guarded by mutex_
    std::condition_variable report_wake_;
    void throw_if_closed() const;

    std::shared_ptr<MpiSession> session_;
    std::unique_ptr<Transport> transport_;
    std::shared_ptr<LocalFarm> local_farm_;  // declared after transport_: ends its roles first
    int workers_;
    Options options_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::unordered_map<TaskId, TaskState*> live_;  // tasks with a Future, by id
    // Tasks left to run by fire_and_forget whose last Future is gone: id -> elements (0 for a
    // plain task), until their outcome arrives.
    struct Unowned {
        std::uint32_t elements;
        std::uint64_t pending_bytes;  // its arguments', still counted
        std::vector<std::shared_ptr<TaskState>> inputs;  // kept until it is done, as a Future would
    };
    std::unordered_map<TaskId, Unowned> unowned_;
    // Results only this client holds (from the journal) that a task sent out needs: by id.
    std::unordered_map<TaskId, TaskState*> served_;
    std::vector<std::shared_ptr<TaskState>> let_go_;
    // Backpressure (Options::max_pending_bytes): the argument bytes of the tasks sent out and
    // not yet done. submit waits for room, woken by changed_ as tasks finish.
    std::uint64_t pending_bytes_ = 0;
    // Large arguments (over inline_result_limit) wait here until the task's worker asks for
    // them, so that they never pass the scheduler. keep: the task may run again (retries), so
    // a copy is sent; else they move out with the first.
    struct HeldArguments {
        Bytes bytes;
        bool keep;
    };
    std::unordered_map<TaskId, HeldArguments> held_arguments_;
    void serve_arguments(int source, TaskId task);
    void wait_for_room(std::unique_lock<std::mutex>& lock, std::uint64_t bytes);
    void no_longer_pending(std::uint64_t& bytes) {
        pending_bytes_ -= std::min(pending_bytes_, bytes);
        bytes = 0;
    }
    std::unique_ptr<Journal> journal_;
    TaskCounts counts_;  // always kept: Client::stats and the progress line read them
    // Tasks whose last Future went while they were pending (an input its dependent no longer
    // needs, whose outcome is still on its way): id -> elements. Counted when their outcome
    // comes, or as cancelled at the end (the scheduler dropped them unrun).
    std::unordered_map<TaskId, std::uint32_t> dropped_pending_;
    std::unique_ptr<ProgressReport> progress_;
    std::vector<std::string> hosts_;  // by rank
    // Each worker's counts as its last answer to a CollectEvents gave them: when asked, what.
    std::map<int, std::pair<std::int64_t, CounterEvent>> worker_counts_;
    std::unique_ptr<TraceRecord> trace_;  // recording events (Options::trace), else null
    std::int64_t last_collect_at_ = 0;    // the final CollectEvents, and how many answers it awaits
    std::size_t last_events_awaited_ = 0;
    std::unordered_map<TaskId, TaskKey> journal_keys_;  // tasks sent out, while a journal is kept
    std::vector<int> lost_workers_;  // declared lost by the scheduler: their messages are ignored
    pid_t owner_pid_;  // the process that runs the farm
    TaskId next_id_ = 1;
    bool closed_ = false;
    std::once_flag shutdown_once_;  // a second shutdown (another thread, exit()) waits for the first
};

struct ClientAccess {
    static Client make(std::shared_ptr<ClientCore> core) { return Client(std::move(core)); }
    static ClientCore& core(Client& client) { return *client.core_; }
};

}  // namespace taskfarm::detail
