#pragma once
// What the client knows of a run at its end (or at a moment of it), for the trace and the
// report (Options::trace, Options::report, docs/observability.md). Plain data: the client's
// TraceRecord (trace_record.hpp) fills it from the events every rank sent; the writers
// (trace_json.hpp, and the HTML report) read it. Times are nanoseconds of the client's
// steady clock, each rank's already moved onto it by that rank's estimated offset.

#include "wire.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace taskfarm::detail {

struct TraceData {
    std::int64_t start_ns = 0;  // the farm's start: time 0 of the trace
    std::int64_t end_ns = 0;    // when this data was taken (the end of the run, or now)
    std::vector<std::string> hosts;  // by rank; empty strings for unknown
    int workers = 0;                 // how many worker ranks (0: inline)
    std::string layout;              // "mpi", "local" or "inline"
    std::vector<std::pair<std::string, std::string>> configuration;  // the options in force, name -> value

    // Function names, demangled; Slice::function indexes this.
    std::vector<std::string> functions;

    // One run of a task on a thread: a plain task's attempt, one run of an element of a map's
    // chunk, or the chunk itself (elements > 0), whose element runs lie inside it on the
    // same thread (those of an isolated chunk are not known: it has none).
    struct Slice {
        TaskId task = 0;            // as Future::id() says (an element: its chunk's id + 1 + index)
        std::uint32_t attempt = 1;  // 1 for the first run
        int rank = 0;
        std::uint32_t thread = 0;   // the executor thread's number on its rank
        std::int64_t submitted_ns = 0;  // when the client submitted it (0: not known)
        std::int64_t queued_ns = 0; // when the task reached its worker
        std::int64_t start_ns = 0;
        std::int64_t end_ns = 0;
        bool ok = true;
        std::uint64_t bytes_in = 0;   // arguments and inputs
        std::uint64_t bytes_out = 0;  // its result (or failure record)
        std::uint32_t function = 0;   // index in functions
        std::uint32_t elements = 0;   // > 0: a map's chunk of that many elements
    };
    std::vector<Slice> slices;  // in no particular order

    // A task's result that another task takes as an argument: an arrow from the producer's
    // (last) slice to the consumer's (first).
    struct Flow {
        TaskId from = 0;
        TaskId to = 0;
    };
    std::vector<Flow> flows;

    // An input moved between ranks: `bytes` of task `task`'s result from `from` to `to`; to
    // the client (client_rank), a result it fetched from the worker keeping it.
    struct Transfer {
        TaskId task = 0;
        int from = 0;
        int to = 0;
        std::uint64_t bytes = 0;
        std::int64_t start_ns = 0;  // asked for
        std::int64_t end_ns = 0;    // arrived
    };
    std::vector<Transfer> transfers;

    // The client let go of a task's outcome kept on a worker (its last Future went, or it
    // was cancelled): Release.
    struct Release {
        TaskId task = 0;
        std::int64_t at_ns = 0;
    };
    std::vector<Release> releases;

    // A worker's counts at a moment.
    struct Counter {
        int rank = 0;
        std::int64_t at_ns = 0;
        std::uint32_t queued = 0;   // on the worker, not yet running
        std::uint32_t running = 0;
        std::uint64_t bytes_held = 0;  // of the outcomes it keeps
    };
    std::vector<Counter> counters;

    // Per function, over every attempt, also those beyond the detail cap.
    struct FunctionTotals {
        std::uint64_t runs = 0;      // attempts (element runs for a map)
        std::uint64_t failures = 0;  // runs that failed (a retried run counts)
        std::int64_t total_ns = 0;
        std::uint64_t bytes_in = 0;
        std::uint64_t bytes_out = 0;
        double p50_ns = 0;  // from a histogram: within about 10 %
        double p99_ns = 0;
    };
    std::vector<FunctionTotals> totals;  // by function index

    // Each rank's clock against the client's: the offset used (0 on the client's host, where
    // every rank reads the same clock), the estimate from the shortest CollectEvents round
    // trip (made on every host, so that on one host it shows how good the estimate is) and
    // its bound (half that round trip). No estimate yet: estimated false.
    struct RankClock {
        int rank = 0;
        std::int64_t offset_ns = 0;
        bool estimated = false;
        std::int64_t estimate_ns = 0;
        std::int64_t bound_ns = 0;
    };
    std::vector<RankClock> clocks;

    // Tasks that failed for good, as their TaskError says (the first failure_cap of them).
    struct Failure {
        TaskId task = 0;
        std::uint32_t function = 0;
        std::string type;
        std::string message;
        int rank = 0;
        std::string host;
        int attempts = 1;
    };
    std::vector<Failure> failures;
    std::uint64_t failures_not_kept = 0;

    // The client's counts (Client::stats), for the report's summary.
    std::uint64_t tasks_submitted = 0, tasks_done = 0, tasks_failed = 0, tasks_cancelled = 0;
    int threads_per_worker = 1;

    // Slices not kept beyond the cap (Options docs): counted in totals, not drawn.
    std::uint64_t slices_not_kept = 0;
    std::uint64_t slice_cap = 0;
};

}  // namespace taskfarm::detail
