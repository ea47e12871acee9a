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

}  // namespace taskfarm::detail
