#pragma once
// How a farm is set up. Every rank must be given the same options (they are, when every
// rank runs the same code with the same environment). An environment variable, when set,
// overrides the field: a job script can tune a farm without a rebuild.

#include <cstddef>

namespace taskfarm {

struct Options {
    // Tasks each worker runs at once, each on its own thread.  TASKFARM_THREADS_PER_WORKER
    int threads_per_worker = 1;
    // Results up to this many bytes travel with the task's completion message; larger ones
    // stay on their worker until gathered (docs/design.md).  TASKFARM_INLINE_RESULT_LIMIT
    std::size_t inline_result_limit = 256 * 1024;
};

}  // namespace taskfarm
