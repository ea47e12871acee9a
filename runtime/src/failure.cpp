#include "failure.hpp"

#include "log.hpp"

#include <taskfarm/error.hpp>

namespace taskfarm::detail {

// The rank and host are the calling thread's role's: the worker that ran the task, or the
// client when it ran inline.
Bytes encode_current_exception(std::int32_t attempts) {
    auto error = describe_current_exception();
    return encode_failure({error.type_name, error.message, own_rank(), host_name(), attempts});
}

Bytes encode_timeout(std::uint64_t ran_ns, std::uint64_t limit_ns, std::int32_t attempts) {
    auto seconds = [](std::uint64_t ns) { return seconds_text(std::chrono::nanoseconds(ns)); };
    return encode_failure({"taskfarm::Timeout", "ran " + seconds(ran_ns) + ", over its timeout of " + seconds(limit_ns),
                           own_rank(), host_name(), attempts});
}

void throw_failure(std::span<const char> encoded, TaskId task) {
    auto failure = decode_failure(encoded);
    throw TaskError(failure.type_name, failure.message, failure.rank, failure.host, task, failure.attempts);
}

}  // namespace taskfarm::detail
