#pragma once
// The wire protocol: every message kind, its fields, and the byte layout. Pure code,
// no MPI. docs/protocol.md has the table of who sends what to whom.
//
// A frame (one MPI message) is a sequence of encoded messages. Each message is
//   u8 kind | fields in declaration order
// with integers little-endian fixed width and byte strings as u64 length + bytes.

#include <taskfarm/serialize.hpp>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>

namespace taskfarm::detail {

using TaskId = std::uint64_t;

enum class Kind : std::uint8_t {
    submit = 1,  // client → scheduler: a new task
    run,         // scheduler → worker: run this task
    finished,    // worker → client: a task's outcome
    done,        // worker → scheduler: a task left the worker's queue
    fetch,       // client → worker: send me a result you hold
    fetched,     // worker → client: the result asked for
    release,     // client → scheduler → worker: nobody needs this task any more
    shutdown,    // client → scheduler: the client is done, with this exit status
    stop,        // scheduler → worker: stop, the job ends with this exit status
};

struct TaskSpec {
    TaskId task = 0;
    std::uint64_t invoker = 0;
    std::uint64_t module = 0;
    std::uint64_t offset = 0;
    Bytes args;
    friend bool operator==(const TaskSpec&, const TaskSpec&) = default;
};

enum class Outcome : std::uint8_t {
    value = 1,  // payload holds the result
    held,       // the worker keeps the result; payload is empty
    error,      // payload holds an encoded TaskFailure
};

struct Submit {
    TaskSpec spec;
    friend bool operator==(const Submit&, const Submit&) = default;
};
struct Run {
    TaskSpec spec;
    friend bool operator==(const Run&, const Run&) = default;
};
struct Finished {
    TaskId task = 0;
    Outcome outcome = Outcome::value;
    Bytes payload;
    friend bool operator==(const Finished&, const Finished&) = default;
};
struct Done {
    TaskId task = 0;
    bool held = false;
    friend bool operator==(const Done&, const Done&) = default;
};
struct Fetch {
    TaskId task = 0;
    friend bool operator==(const Fetch&, const Fetch&) = default;
};
struct Fetched {
    TaskId task = 0;
    Bytes payload;
    friend bool operator==(const Fetched&, const Fetched&) = default;
};
struct Release {
    TaskId task = 0;
    friend bool operator==(const Release&, const Release&) = default;
};
struct Shutdown {
    std::int32_t status = 0;
    friend bool operator==(const Shutdown&, const Shutdown&) = default;
};
struct Stop {
    std::int32_t status = 0;
    friend bool operator==(const Stop&, const Stop&) = default;
};

using Message = std::variant<Submit, Run, Finished, Done, Fetch, Fetched, Release, Shutdown, Stop>;

// What a worker reports when a task throws.
struct TaskFailure {
    std::string type_name;
    std::string message;
    std::int32_t rank = 0;
    std::string host;
    friend bool operator==(const TaskFailure&, const TaskFailure&) = default;
};

class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Appends one encoded message to a frame.
void encode(const Message& message, Bytes& frame);
// Decodes every message of a frame, in order; throws ProtocolError on malformed bytes.
template <class Visit>
void decode_frame(std::span<const char> frame, Visit&& visit);

Bytes encode_failure(const TaskFailure& failure);
TaskFailure decode_failure(std::span<const char> bytes);

// Decodes the message at the start of `bytes`; returns it and how many bytes it used.
std::pair<Message, std::size_t> decode_one(std::span<const char> bytes);

template <class Visit>
void decode_frame(std::span<const char> frame, Visit&& visit) {
    while (!frame.empty()) {
        auto [message, used] = decode_one(frame);
        frame = frame.subspan(used);
        visit(std::move(message));
    }
}

}  // namespace taskfarm::detail
