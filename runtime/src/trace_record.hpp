#pragma once
// The client's record of a run, for the trace (Options::trace): what it submitted, and the
// events every worker sent (trace_events.hpp), each rank's times kept as they came and moved
// onto the client's clock when the data is taken. Bounded however many tasks run: past
// slice_cap runs, a run is only counted in its function's totals (TraceData::totals), and
// the trace says how many were not drawn. Not thread-safe: the client calls it under its mutex.

#include "trace_data.hpp"
#include "trace_events.hpp"

#include <taskfarm/detail/task.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace taskfarm::detail {

class TraceRecord {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t default_slice_cap = 1'000'000;

    // hosts: by rank. client_rank: whose clock is the trace's (its host's ranks share it).
    TraceRecord(Clock::time_point start, std::vector<std::string> hosts, int client_rank,
                std::size_t slice_cap = default_slice_cap);

    // A task submitted at at_ns (elements > 0: a map's chunk of that many), running code's
    // function, named `name` when TaskOptions::name gives one, taking the results of `inputs`
    // (as Future::id() names them). Tasks are submitted in id order.
    void submitted(TaskId task, std::uint32_t elements, const TaskCode& code, const std::string& name,
                   std::span<const TaskId> inputs, std::int64_t at_ns);
    // The client asked the worker keeping a task's result for it (Fetch), and it came from
    // `from` (Fetched): a transfer to the client. Its Release: it let go of it.
    void fetch_asked(TaskId task, std::int64_t at_ns);
    void fetched(TaskId task, int from, std::uint64_t bytes, std::int64_t at_ns);
    void released(TaskId task, std::int64_t at_ns);
    // A rank's events, its times on its own clock.
    void add(int rank, const EventBatch& batch);
    // A task failed for good (its TaskError): kept for the report, the first failure_cap.
    void failed(TaskId task, std::string type, std::string message, int rank, std::string host, int attempts);
    static constexpr std::size_t failure_cap = 1000;
    // A CollectEvents this client sent at asked_at was answered by `rank` at its sent_at, and
    // came back at received_at: a round trip that estimates the rank's clock offset.
    void answered(int rank, std::int64_t asked_at, std::int64_t sent_at, std::int64_t received_at);
    // The rank's clock minus the client's, as best known (0 on the client's host: one clock),
    // and how far off it may be (half the shortest round trip; 0 when exact).
    std::int64_t offset(int rank) const;
    std::int64_t offset_error(int rank) const;

    // The record so far, on the client's clock, names resolved. layout, configuration: said as given.
    TraceData data(Clock::time_point now, int workers, std::string layout,
                   std::vector<std::pair<std::string, std::string>> configuration) const;

private:
    struct Submission {
        TaskId task;
        std::uint32_t elements;
        std::uint32_t function;
        std::int64_t at_ns;
    };
    // A task's submission, or its chunk's for an element; null when not submitted here.
    const Submission* submission_of(TaskId task) const;
    // The function a task (or an element, by its chunk) runs; 0 when not submitted here.
    std::uint32_t function_of(TaskId task) const;
    struct Totals {
        std::uint64_t runs = 0, failures = 0, bytes_in = 0, bytes_out = 0;
        std::int64_t total_ns = 0;
        // Durations in buckets of an eighth of a power of two: a percentile within ~9 %.
        std::array<std::uint64_t, 64 * 8> histogram{};
    };
    static void count(Totals& totals, std::int64_t ran, bool ok, std::uint64_t bytes_in, std::uint64_t bytes_out);
    static void count(Totals& totals, std::int64_t start, std::span<const ElementRun> runs);
    static void count(Totals& totals, const TraceData::Slice& run);
    static std::size_t bucket(std::int64_t ns);
    static double bucket_value(std::size_t bucket);

    std::int64_t start_ns_;
    std::vector<std::string> hosts_;
    int client_rank_;
    std::size_t slice_cap_;

    // Function keys: invoker, module, offset, the TaskOptions name. Index 0: unknown.
    std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::string>, std::uint32_t> function_index_;
    std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::string>> function_keys_;
    std::vector<Totals> totals_;

    std::vector<Submission> submissions_;  // in id order
    std::vector<TraceData::Slice> slices_;  // times on their rank's clock
    // The element runs of the chunks in slices_ as they came (a map may have millions), those
    // of each chunk run together and in the order they ran: one began where the one before it
    // ended, the first where its chunk run began.
    std::vector<ElementRun> element_runs_;
    struct ChunkRuns {
        std::size_t slice;  // the chunk run's, in slices_
        std::size_t first;  // its first in element_runs_
        std::size_t count;
    };
    std::vector<ChunkRuns> chunk_runs_;
    std::span<const ElementRun> element_runs(const ChunkRuns& chunk) const {
        return std::span(element_runs_).subspan(chunk.first, chunk.count);
    }
    std::size_t kept_runs() const { return slices_.size() + element_runs_.size(); }
    std::uint64_t slices_not_kept_ = 0;
    std::vector<TraceData::Flow> flows_;
    std::vector<TraceData::Transfer> transfers_;
    std::vector<TraceData::Counter> counters_;
    std::map<TaskId, std::int64_t> fetches_;  // asked for, not come yet: when
    std::vector<TraceData::Release> releases_;
    std::vector<TraceData::Failure> failures_;  // function: the key's index until data()
    std::uint64_t failures_not_kept_ = 0;
    struct Clocks {
        std::int64_t offset = 0;
        std::int64_t round_trip = -1;  // of the best estimate; -1: none yet
    };
    std::map<int, Clocks> clocks_;
    bool on_client_host(int rank) const;
    const Clocks* estimate(int rank) const;  // the best so far, or null
};

}  // namespace taskfarm::detail
