#pragma once
// What a worker records for the trace and the report (Options::trace, Options::report), and
// sends the client in an Events message (wire.hpp): each run of a task on one of its threads,
// each input that came from another rank, and its counts at the moment it sends. Times are
// nanoseconds of the worker's steady clock; the client moves them onto its own.

#include <cstdint>
#include <type_traits>
#include <vector>

namespace taskfarm::detail {

struct AttemptEvent {
    std::uint64_t task = 0;       // an element of a chunk: the chunk's id + 1 + its index
    std::uint32_t attempt = 1;
    std::uint32_t thread = 0;     // the executor's number
    std::int64_t queued_ns = 0;   // the task came to this worker
    std::int64_t start_ns = 0;
    std::int64_t end_ns = 0;
    std::uint8_t ok = 1;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint32_t elements = 0;   // a chunk's run, which its elements' runs lie in
    std::uint32_t element_runs = 0;  // a chunk's: how many of EventBatch::element_runs are its
    friend bool operator==(const AttemptEvent&, const AttemptEvent&) = default;
};

// One run of one element of a chunk, timed inside the chunk's run (attempt.hpp). Its start is
// the end of the run before it in the same chunk run, or the chunk's start: one clock read per
// element, as an element of a large map may take less than a microsecond. So a run's time
// includes reading its arguments (and storing the result before it). 16 bytes, copied onto
// the wire as they are: a map sends one per element.
struct ElementRun {
    std::uint32_t index = 0;
    std::uint32_t run : 31 = 1;
    std::uint32_t ok : 1 = 1;
    std::int64_t end_ns = 0;
    friend bool operator==(const ElementRun&, const ElementRun&) = default;
};
static_assert(sizeof(ElementRun) == 16 && std::is_trivially_copyable_v<ElementRun>);

struct TransferEvent {
    std::uint64_t task = 0;  // the input's id (an element's own)
    std::int32_t from = 0;
    std::uint64_t bytes = 0;
    std::int64_t start_ns = 0;  // asked for
    std::int64_t end_ns = 0;    // came
    friend bool operator==(const TransferEvent&, const TransferEvent&) = default;
};

// A worker's counts at a moment, in tasks as the client counts them (a map's chunk: its
// elements): waiting here (for an executor or for inputs), running, finished here so far.
struct CounterEvent {
    std::int64_t at_ns = 0;
    std::uint32_t queued = 0;
    std::uint32_t running = 0;
    std::uint64_t bytes_held = 0;
    std::uint64_t done = 0;
    friend bool operator==(const CounterEvent&, const CounterEvent&) = default;
};

struct EventBatch {
    std::vector<AttemptEvent> attempts{};
    // The element runs of the chunks among attempts, in their order: each chunk's
    // AttemptEvent::element_runs of them. Kept apart, small: a map sends millions.
    std::vector<ElementRun> element_runs{};
    std::vector<TransferEvent> transfers{};
    std::vector<CounterEvent> counters{};
    bool empty() const { return attempts.empty() && transfers.empty() && counters.empty(); }
    std::size_t runs() const { return attempts.size() + element_runs.size(); }
    friend bool operator==(const EventBatch&, const EventBatch&) = default;
};

}  // namespace taskfarm::detail
