#pragma once
// The failure record: what a failed task (or element of a chunk) reports, its bytes, and
// the ways a rank makes one or turns one into the TaskError the user catches. Every
// failure a worker, the scheduler or the client makes goes through here.
//
// Its bytes, with the wire's conventions (wire.hpp): integers fixed width in the machine's
// byte order, text as u64 length + bytes:
//   text type_name | text message | i32 rank | text host | i32 attempts | u8 cause

#include "wire.hpp"  // Bytes, ProtocolError (wire.hpp includes this header back, for its users)

// encode_current_exception and encode_timeout are declared there, not here: the chunk
// invoker (detail/task.hpp), a public template instantiated in user code, calls them.
// failure.cpp defines them.
#include <taskfarm/detail/registry.hpp>
#include <taskfarm/error.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace taskfarm::detail {

// What a worker reports when a task throws, crashes or runs over its timeout.
struct TaskFailure {
    std::string type_name;
    std::string message;
    std::int32_t rank = 0;
    std::string host;
    std::int32_t attempts = 1;
    TaskError::Cause cause = TaskError::Cause::exception;
    friend bool operator==(const TaskFailure&, const TaskFailure&) = default;
};

// Defined in wire.cpp, with the wire's own byte writer and reader (the fuzz target, which
// links wire.cpp alone, decodes failures too). Throws ProtocolError on malformed bytes.
Bytes encode_failure(const TaskFailure& failure);
TaskFailure decode_failure(std::span<const char> bytes);

// The failure of a task that does not run because its input, task `input`, failed as
// `input_failure` says (dask passes the input's exception on): the input's error, its type,
// rank and host, with a message that names the input. A failure that was itself a
// dependency's is kept as it is, so that a long chain names its first failure, not every link.
Bytes dependency_failure(std::span<const char> input_failure, TaskId input);
// The failure of a task whose input, task `input`, is gone or never came: `why` says what
// happened to it; rank and host are the rank's that found out.
Bytes missing_input_failure(TaskId input, const std::string& why, std::int32_t rank, const std::string& host);

// Throws the TaskError that an encoded failure of task `task` describes (ProtocolError if
// the bytes are not a failure record).
[[noreturn]] void throw_failure(std::span<const char> encoded, TaskId task);

}  // namespace taskfarm::detail
