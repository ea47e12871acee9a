#pragma once
// One run (attempt) of a task: on the calling thread, or isolated in a child process that
// may crash or be stopped without taking its worker down.

#include "config.hpp"  // timeout_nanoseconds, which makes a TaskSpec's timeout_ns
#include "trace_events.hpp"
#include "wire.hpp"

#include <taskfarm/detail/task.hpp>  // has_runs_left, the retry rule
#include <taskfarm/options.hpp>

#include <chrono>

namespace taskfarm::detail {

struct AttemptResult {
    Outcome outcome = Outcome::value;  // value, or error with an encoded TaskFailure
    Bytes payload;
    std::chrono::nanoseconds run_time{0};
    // A chunk's element runs, timed when the run records events (Options::trace) and not
    // isolated (a child process's are not brought back): for the trace.
    std::vector<ElementRun> element_runs{};
};

// Failures name spec.attempt as their attempt count. A plain task that ran over its timeout
// fails (an isolated one is stopped when it reaches it); a chunk's elements are retried and
// timed one by one inside the chunk, and an isolated chunk is stopped at its element count
// times the timeout. Uses options.isolate and options.task_output_dir (the task's stdout and
// stderr go to its files: around the task, or each element of a chunk, in this process
// or in the isolated child).
// inputs: the bytes of the task's inputs, in the order of spec.inputs (RunContext::inputs).
AttemptResult run_attempt(const TaskSpec& spec, const Options& options,
                          std::span<const std::span<const char>> inputs = {});

// The trace events of an attempt that ran on executor `thread` from start_ns (the task came
// at queued_ns): the task's run, and for a chunk each run of each element inside it.
void append_attempt_events(EventBatch& batch, const TaskSpec& spec, const AttemptResult& attempt, std::uint32_t thread,
                           std::int64_t queued_ns, std::int64_t start_ns, std::uint64_t bytes_in);

// How long one run of the task may take before it is stopped (isolated) or given up (not):
// its timeout, and for a chunk its element count times that. 0: no limit, also for a limit
// past a century, which keeps the deadline arithmetic on steady_clock in range.
std::uint64_t time_limit_ns(const TaskSpec& spec);

// A failed run with runs left is run again (by the scheduler on another worker, or inline
// at once). A chunk retries its elements itself, by the same rule; it fails as a whole only
// when its isolated process crashed or was stopped.
inline bool runs_again(const AttemptResult& attempt, const TaskSpec& spec) {
    return attempt.outcome == Outcome::error && has_runs_left(spec.attempt, spec.retries);
}

}  // namespace taskfarm::detail
