#pragma once
// How a farm is set up. Every rank must be given the same options (they are, when every
// rank runs the same code with the same environment and arguments). Each field can also be
// set by an environment variable TASKFARM_<NAME> and by a command-line flag
// --taskfarm-<name>=value (taken out of argv before your code sees it); the flag beats the
// variable, which beats the field: a job script can tune a farm without a rebuild.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace taskfarm {

struct Options {
    // Tasks each worker runs at once, each on its own thread.  TASKFARM_THREADS_PER_WORKER
    int threads_per_worker = 1;
    // The number of workers when the program runs without a launcher (or at mpirun -np 1):
    // the local farm, every role on threads of this process. -1: one worker per core
    // (std::thread::hardware_concurrency or the process's CPU affinity, whichever is
    // smaller); 0: no farm, every task runs inline, at once and one at a time, on the
    // thread that submits it (the debugging mode). Ignored under a launcher, whose ranks
    // are the farm (docs/design.md "The local farm").  TASKFARM_LOCAL_WORKERS
    int local_workers = -1;
    // Results up to this many bytes travel with the task's completion message; larger ones
    // stay on their worker until gathered (docs/design.md).  TASKFARM_INLINE_RESULT_LIMIT
    std::size_t inline_result_limit = 256 * 1024;
    // Backpressure: the bytes of task arguments in the farm (submitted, not yet finished) at
    // most; submit and map wait for room rather than exhaust memory. A single task larger
    // than this still goes when nothing else is pending. 0: no bound.
    // TASKFARM_MAX_PENDING_BYTES
    std::size_t max_pending_bytes = std::size_t(1) << 30;
    // Run every task in a child process of its worker, so that a task that crashes or must
    // be stopped takes only itself down (docs/faults.md).  TASKFARM_ISOLATE=1
    bool isolate = false;
    // How many times a failed task is run again before its error reaches the client; a
    // TaskOptions can say otherwise for one task.  TASKFARM_RETRIES
    int retries = 0;
    // A task that runs longer than this fails (0: no limit); an isolated one is stopped
    // when it is reached. TaskOptions can say otherwise.  TASKFARM_TIMEOUT (seconds)
    std::chrono::duration<double> timeout{0};
    // A worker not heard from for this long (frozen, its node hung, its network lost) is
    // declared lost: its tasks run on other workers when their retries allow, and fail with
    // a TaskError otherwise; the job never waits on it (docs/faults.md). 0: never.
    // TASKFARM_WORKER_TIMEOUT (seconds)
    std::chrono::duration<double> worker_timeout{60};
    // A file that records every finished task, so that a second run of the same program
    // skips what the first one finished (docs/faults.md).  TASKFARM_JOURNAL
    std::string journal;
    // Print the configuration in force and which rank is what, on which host, at start-up.
    // TASKFARM_VERBOSE=1
    bool verbose = false;
    // Progress on stderr: a bar on a terminal, else a status line every progress_interval
    // (done / running / failed / total, rate, ETA). automatic: once more than 1000 tasks
    // have been submitted.  TASKFARM_PROGRESS=auto|on|off, TASKFARM_PROGRESS_INTERVAL (seconds)
    enum class Progress { automatic, always, never };
    Progress progress = Progress::automatic;
    std::chrono::duration<double> progress_interval{10};
    // A file where the client writes, at the end, a trace of the run in Chrome's trace-event
    // JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing open: a track per worker
    // thread with a slice per task run, arrows from a task to those that take its result,
    // and each worker's counts (docs/observability.md). Empty: nothing is recorded, at no
    // cost.  TASKFARM_TRACE=path, --taskfarm-trace=path
    std::string trace;
    // A file where the client writes a report of the run: one self-contained HTML page (no
    // network, opens from file://) with a summary, the task stream, tasks done over time, a
    // table per function, each worker's use, the failed tasks and the configuration. It is
    // rewritten every report_interval while the farm runs, so it can be opened mid-job, and
    // a last time at the end (also after a stop signal or a task error).
    // TASKFARM_REPORT=path, --taskfarm-report=path; TASKFARM_REPORT_INTERVAL (seconds)
    std::string report;
    std::chrono::duration<double> report_interval{10};
    // A directory where each rank also writes its lines to rank-<R>.log.  TASKFARM_LOG_DIR
    std::string log_dir;
    // A directory where each task's own stdout and stderr go, to task-<id>.out and
    // task-<id>.err (<id> as Future::id() says; files left empty are removed). Without
    // isolate this needs threads_per_worker = 1, since a process has one stdout
    // (docs/hpc.md).  TASKFARM_TASK_OUTPUT_DIR
    std::string task_output_dir;
    // A function run once in each process that runs tasks, before its first task (mpi4py.futures'
    // initializer): load a model, open a file, warm a cache. Under a launcher each worker rank
    // runs it; in the local farm, whose workers share one process, it runs once for all of
    // them; inline, once before the first task. If it throws, the job ends with a line naming
    // the rank and the error. No environment variable: it is code.
    void (*worker_initializer)() = nullptr;
    // What each worker has for tasks that ask for resources (TaskOptions::resources), as
    // name -> amount: {{"gpu", 1}, {"ssd", 1}}. Read on each worker rank, so that a job script
    // can give nodes different values; in the local farm every worker has these; inline, the
    // client runs the tasks and has them. A worker never holds tasks asking for more than it
    // has free.  TASKFARM_WORKER_RESOURCES="gpu=1,ssd=1"
    std::map<std::string, double> worker_resources;
};

// Per-task settings, given as the last argument of submit or map (or the first):
//   client.submit(f, x, taskfarm::TaskOptions{.retries = 2, .timeout = std::chrono::seconds(30)});
// Unset fields take the farm's Options.
struct TaskOptions {
    std::optional<int> retries;
    std::optional<std::chrono::duration<double>> timeout;
    // Among tasks waiting for a worker, higher goes first; equal ones in submit order (dask's
    // priority=). A task already sent to a worker is not overtaken there.
    int priority = 0;
    // What the task needs of a worker while it is queued or runs there: {{"gpu", 1}}. It goes
    // only to a worker with that much free (Options::worker_resources); if no worker has that
    // much at all, it fails at once. Amounts must be more than 0.
    std::map<std::string, double> resources;
    // The task's name in the trace (Options::trace); by default its function's, demangled.
    std::string name;
};

}  // namespace taskfarm
