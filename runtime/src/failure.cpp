#include "failure.hpp"

#include "log.hpp"

#include <taskfarm/error.hpp>

namespace taskfarm::detail {

namespace {
// What throw_undecodable_arguments throws: the decoder's own error, kept as it was.
struct UndecodableArguments {
    ExceptionDescription error;
};
}  // namespace

void throw_undecodable_arguments() { throw UndecodableArguments{describe_current_exception()}; }

// The rank and host are the calling thread's role's: the worker that ran the task, or the
// client when it ran inline.
Bytes encode_current_exception(std::int32_t attempts) {
    try {
        throw;
    } catch (const UndecodableArguments& undecodable) {
        return encode_failure({undecodable.error.type_name,
                               "the task's arguments could not be decoded: " + undecodable.error.message, own_rank(),
                               host_name(), attempts, TaskError::Cause::undecodable});
    } catch (...) {
        auto error = describe_current_exception();
        return encode_failure({error.type_name, error.message, own_rank(), host_name(), attempts});
    }
}

Bytes encode_timeout(std::uint64_t ran_ns, std::uint64_t limit_ns, std::int32_t attempts) {
    auto seconds = [](std::uint64_t ns) { return seconds_text(std::chrono::nanoseconds(ns)); };
    return encode_failure({"taskfarm::Timeout", "ran " + seconds(ran_ns) + ", over its timeout of " + seconds(limit_ns),
                           own_rank(), host_name(), attempts, TaskError::Cause::timeout});
}

Bytes dependency_failure(std::span<const char> input_failure, TaskId input) {
    TaskFailure failure;
    try {
        failure = decode_failure(input_failure);
    } catch (const ProtocolError& e) {
        return missing_input_failure(input, std::string("its failure record does not decode: ") + e.what(), own_rank(),
                                     host_name());
    }
    if (failure.cause == TaskError::Cause::dependency) return encode_failure(failure);
    failure.message = "its input, task " + std::to_string(input) + ", failed (" + std::string(taskfarm::to_string(failure.cause)) +
                      "): " + failure.message;
    failure.cause = TaskError::Cause::dependency;
    return encode_failure(failure);
}

Bytes missing_input_failure(TaskId input, const std::string& why, std::int32_t rank, const std::string& host) {
    return encode_failure({"taskfarm::MissingInput", "its input, task " + std::to_string(input) + ", " + why, rank, host, 1,
                           TaskError::Cause::dependency});
}

void throw_failure(std::span<const char> encoded, TaskId task) {
    auto failure = decode_failure(encoded);
    throw TaskError(failure.type_name, failure.message, failure.rank, failure.host, task, failure.attempts, failure.cause);
}

}  // namespace taskfarm::detail
