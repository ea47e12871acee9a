#pragma once
// One run (attempt) of a task: on the calling thread, or isolated in a child process that
// may crash or be stopped without taking its worker down.

#include "wire.hpp"

#include <chrono>

namespace taskfarm::detail {

struct AttemptResult {
    Outcome outcome = Outcome::value;  // value, or error with an encoded TaskFailure
    Bytes payload;
    std::chrono::nanoseconds run_time{0};
};

// Failures name spec.attempt as their attempt count. A plain task that ran over its timeout
// fails (an isolated one is stopped when it reaches it); a chunk's elements are retried and
// timed one by one inside the chunk, and an isolated chunk is stopped at its element count
// times the timeout.
AttemptResult run_attempt(const TaskSpec& spec, bool isolate);

// A failed run with runs left is run again (by the scheduler on another worker, or inline
// at once). A chunk retries its elements itself; it fails as a whole only when its
// isolated process crashed or was stopped.
inline bool runs_again(const AttemptResult& attempt, const TaskSpec& spec) {
    return attempt.outcome == Outcome::error && spec.attempt <= spec.retries;
}

}  // namespace taskfarm::detail
