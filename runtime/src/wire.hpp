#pragma once
// The wire protocol: every message kind, its fields, and the byte layout. Pure code,
// no MPI. docs/protocol.md has the table of who sends what to whom.
//
// A frame is what one rank sends another in one go: a head (one MPI message) holding a
// sequence of encoded messages, then the frame's attachments, each its own MPI message(s).
// Each message is
//   u8 kind | fields in declaration order
// with integers fixed width in the machine's byte order and byte strings as u64 length +
// bytes. A byte string of attachment_threshold bytes or more is not copied into the head:
// it becomes the frame's next attachment and the head keeps only its length. A sealed head
// ends with the attachment table: u64 size per attachment, then u32 count.

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
    retry,       // worker → scheduler: this task failed here; run it again, elsewhere if possible
    started,     // worker → client: a task starts running (sent only when the client keeps a journal)
    drain,       // any rank → scheduler → workers: a stop signal came; start no more tasks
    heartbeat,   // worker → scheduler: still alive (sent when nothing else was, Options::worker_timeout)
    worker_lost, // scheduler → client: a worker was not heard from in time; what it held is gone
    failed,      // any rank → every rank: this rank failed and ends the job with this status
    fetch_input, // worker → the rank that holds a result (a worker, or the client): send me this input
    input,       // that rank → worker: the input asked for
    collect_events,  // client → worker: send me what you recorded for the trace (Options::trace, report)
    events,          // worker → client: that record, also unasked when it grows large
};

// What a task asks of a worker's resources (TaskOptions::resources): (name, amount) pairs,
// sorted by name, each amount more than 0. Empty for most tasks.
using ResourceRequest = std::vector<std::pair<std::string, double>>;

// A task's input: the result of an earlier task (or of one element of a map's chunk), passed
// to it as a Future argument. The worker that runs the task gets it from its holder.
struct TaskInput {
    TaskId task = 0;            // the task whose result holds it: for an element, its chunk
    std::uint32_t element = 0;  // 0: the task's whole result; i + 1: element i of the chunk
    std::int32_t holder = -1;   // the rank that keeps it; -1 until the scheduler knows (it fills it in for Run)
    friend bool operator==(const TaskInput&, const TaskInput&) = default;
};

// FetchInput/Input of a task's own arguments (TaskSpec::args_at_client), not of an input.
constexpr std::uint32_t args_element = 0xffffffff;

struct TaskSpec {
    TaskId task = 0;
    std::uint64_t invoker = 0;
    std::uint64_t module = 0;
    std::uint64_t offset = 0;
    std::uint32_t retries = 0;       // runs allowed after a failed one
    std::uint32_t attempt = 1;       // this run's number: 1, then 2 for the first retry, ...
    std::uint64_t timeout_ns = 0;    // 0: no limit
    std::uint32_t elements = 0;      // a map's chunk: how many elements; 0 for a plain task
    std::int32_t priority = 0;       // higher is sent first among queued tasks
    bool broadcast = false;          // Client::broadcast: run on every worker, each keeping its copy
    // The arguments are large: they wait on the client until the worker that runs the task
    // asks for them (FetchInput with element args_element), never passing the scheduler.
    bool args_at_client = false;
    ResourceRequest resources;
    std::vector<TaskInput> inputs;   // in the order the invoker reads them (RunContext::inputs)
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
    std::uint64_t run_nanoseconds = 0;  // how long the task ran; 0 when it never ran
    std::uint64_t held_bytes = 0;       // held: the size of what the worker keeps
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
// The spec's attempt is already the next one's number.
struct Retry {
    TaskSpec spec;
    friend bool operator==(const Retry&, const Retry&) = default;
};

struct Started {
    TaskId task = 0;
    friend bool operator==(const Started&, const Started&) = default;
};

struct Drain {
    friend bool operator==(const Drain&, const Drain&) = default;
};

struct Heartbeat {
    friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

struct WorkerLost {
    std::int32_t worker = 0;
    friend bool operator==(const WorkerLost&, const WorkerLost&) = default;
};

// Handled by the transport itself: the sender is about to end the job (MPI_Abort) with this
// status, so the signal the launcher then sends this rank is not news worth a line.
struct Failed {
    std::int32_t status = 0;
    friend bool operator==(const Failed&, const Failed&) = default;
};

// A worker needs this input for a task it was given.
struct FetchInput {
    TaskId task = 0;
    std::uint32_t element = 0;  // as TaskInput::element
    friend bool operator==(const FetchInput&, const FetchInput&) = default;
};
// The input asked for: its result (Outcome::value) or its failure record (Outcome::error),
// also when the holder no longer has it.
struct Input {
    TaskId task = 0;
    std::uint32_t element = 0;
    Outcome outcome = Outcome::value;
    Bytes payload;
    friend bool operator==(const Input&, const Input&) = default;
};

// The client asks a worker for its trace events (Options::trace, Options::report), at its
// own time asked_at; the answer echoes it, which gives the round trip that estimates the
// worker's clock offset.
struct CollectEvents {
    std::int64_t asked_at = 0;  // the client's steady clock, ns
    friend bool operator==(const CollectEvents&, const CollectEvents&) = default;
};
// A worker's trace events since its last Events (trace_events.hpp, encoded by encode_events).
struct Events {
    std::int64_t asked_at = 0;  // the CollectEvents answered; 0 when sent unasked
    std::int64_t sent_at = 0;   // the worker's steady clock, ns
    Bytes batch;
    friend bool operator==(const Events&, const Events&) = default;
};

using Message = std::variant<Submit, Run, Finished, Done, Fetch, Fetched, Release, Shutdown, Stop, Retry, Started, Drain,
                             Heartbeat, WorkerLost, Failed, FetchInput, Input, CollectEvents, Events>;

class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

constexpr std::size_t attachment_threshold = 64 * 1024;

struct Frame {
    Bytes head;
    std::vector<Bytes> attachments;
};

// Large byte strings a head refers to, handed out in order while decoding.
class Attachments {
public:
    explicit Attachments(std::vector<Bytes> list) : list_(std::move(list)) {}
    Bytes take(std::uint64_t size);
    bool all_taken() const { return next_ == list_.size(); }

private:
    std::vector<Bytes> list_;
    std::size_t next_ = 0;
};

// Appends one message to a frame; its large byte strings are moved, not copied.
void encode(Message message, Frame& frame);
// Appends the attachment table; the frame is then ready to send.
void seal(Frame& frame);
// The attachment sizes a sealed head announces, and the length of its messages part.
struct AttachmentTable {
    std::vector<std::uint64_t> sizes;
    std::size_t messages_size = 0;
};
AttachmentTable read_attachment_table(std::span<const char> sealed_head);

// Decodes the message at the start of `bytes`; returns it and how many bytes it used.
std::pair<Message, std::size_t> decode_one(std::span<const char> bytes, Attachments& attachments);

// Decodes every message of a received frame, in order; throws ProtocolError on malformed bytes.
template <class Visit>
void decode_frame(std::span<const char> sealed_head, std::vector<Bytes> attachment_list, Visit&& visit) {
    auto table = read_attachment_table(sealed_head);
    auto messages = sealed_head.first(table.messages_size);
    Attachments attachments(std::move(attachment_list));
    while (!messages.empty()) {
        auto [message, used] = decode_one(messages, attachments);
        messages = messages.subspan(used);
        visit(std::move(message));
    }
    if (!attachments.all_taken()) throw ProtocolError("a frame announces more attachments than its messages use");
}

}  // namespace taskfarm::detail

// Last, since it uses ProtocolError: the failure record, which travels in Finished payloads
// (Outcome::error). Whoever reads or writes the wire gets it too.
#include "failure.hpp"
#include "trace_events.hpp"

namespace taskfarm::detail {
// The trace events' bytes, with the wire's conventions; decode throws ProtocolError.
Bytes encode_events(const EventBatch& batch);
EventBatch decode_events(std::span<const char> bytes);
}  // namespace taskfarm::detail
