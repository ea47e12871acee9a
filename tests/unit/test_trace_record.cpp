#include "trace_record.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace taskfarm::detail {
namespace {

using Clock = TraceRecord::Clock;
const auto t0 = Clock::time_point{} + std::chrono::hours(1);
std::int64_t ns(Clock::time_point t) { return t.time_since_epoch().count(); }

TaskCode code(std::uint64_t invoker) { return {invoker, {}}; }

AttemptEvent run(TaskId task, std::int64_t start, std::int64_t end, bool ok = true) {
    return {task, 1, 0, start, start, end, std::uint8_t(ok ? 1 : 0), 8, 8, 0};
}

TEST(TraceRecord, ARanksClockOffsetComesFromItsShortestRoundTrip) {
    // Rank 1 (the client) and 3 on host b, rank 2 on host c.
    TraceRecord record(t0, {"a", "b", "c", "b"}, 1);
    record.answered(2, 1000, 5600, 1200);  // a round trip of 200 ns: made at 1100 on the client's clock
    EXPECT_EQ(record.offset(2), 4500);
    EXPECT_EQ(record.offset_error(2), 100);
    record.answered(2, 2000, 9000, 2800);  // 800 ns: a worse estimate, not taken
    EXPECT_EQ(record.offset(2), 4500);
    record.answered(2, 3000, 7550, 3100);  // 100 ns: better
    EXPECT_EQ(record.offset(2), 4500);
    EXPECT_EQ(record.offset_error(2), 50);
    record.answered(3, 1000, 999'999, 1200);
    EXPECT_EQ(record.offset(3), 0) << "one host, one steady clock: nothing to estimate";
    EXPECT_EQ(record.offset_error(3), 0) << "and exact";
    EXPECT_EQ(record.offset_error(1), 0);
}

TEST(TraceRecord, TimesAreMovedOntoTheClientsClock) {
    TraceRecord record(t0, {"a", "b", "c"}, 1);
    record.submitted(1, 0, code(7), "", {}, 0);
    record.answered(2, 1000, 5600, 1200);  // rank 2's clock is 4500 ns ahead
    record.add(2, {.attempts = {run(1, ns(t0) + 10'000, ns(t0) + 20'000)}, .counters = {{ns(t0) + 30'000, 1, 2, 3}}});
    auto data = record.data(t0 + std::chrono::seconds(1), 1, "mpi", {});
    ASSERT_EQ(data.slices.size(), 1u);
    EXPECT_EQ(data.slices[0].start_ns, ns(t0) + 5'500);
    EXPECT_EQ(data.slices[0].end_ns, ns(t0) + 15'500);
    ASSERT_EQ(data.counters.size(), 1u);
    EXPECT_EQ(data.counters[0].at_ns, ns(t0) + 25'500);
    EXPECT_EQ(data.start_ns, ns(t0));
}

AttemptEvent chunk_run(TaskId chunk, std::uint32_t elements, std::uint32_t element_runs, std::int64_t start,
                       std::int64_t end) {
    return {chunk, 1, 3, start - 5, start, end, 1, 64, 32, elements, element_runs};
}

TEST(TraceRecord, ElementsRunTheirChunksFunctionAndNamesCanBeGiven) {
    TraceRecord record(t0, {"a", "b", "c"}, 1);
    record.submitted(10, 3, code(7), "", {}, 0);     // a chunk: elements 11, 12, 13
    record.submitted(14, 0, code(8), "step", {}, 0);  // TaskOptions::name
    record.add(2, {.attempts = {chunk_run(10, 3, 2, 0, 2), run(14, 2, 3), run(99, 3, 4)},
                   .element_runs = {{0, 1, true, 1}, {2, 1, true, 2}}});
    auto data = record.data(t0, 1, "mpi", {});
    ASSERT_EQ(data.slices.size(), 5u);
    EXPECT_EQ(data.slices[0].function, data.slices[3].function) << "an element runs its chunk's function";
    EXPECT_EQ(data.functions[data.slices[1].function], "step");
    EXPECT_EQ(data.slices[2].function, 0u) << "a task this client did not submit";
    EXPECT_NE(data.slices[0].function, data.slices[1].function);
}

TEST(TraceRecord, AnElementRunBeginsWhereTheOneBeforeItInItsChunkEnded) {
    TraceRecord record(t0, {"a", "b", "c"}, 1);
    record.submitted(10, 3, code(7), "", {}, 0);
    // Two runs of the chunk: the first fails its element 1 twice; the second runs element 2.
    record.add(2, {.attempts = {chunk_run(10, 3, 3, 1000, 1400), chunk_run(10, 3, 1, 2000, 2050)},
                   .element_runs = {{0, 1, true, 1100}, {1, 1, false, 1250}, {1, 2, false, 1390}, {2, 1, true, 2040}}});
    auto data = record.data(t0, 1, "mpi", {});
    ASSERT_EQ(data.slices.size(), 6u);
    struct Expected {
        TaskId task;
        std::uint32_t run;
        std::int64_t start, end;
        bool ok;
    };
    std::vector<Expected> expected{{11, 1, 1000, 1100, true}, {12, 1, 1100, 1250, false}, {12, 2, 1250, 1390, false},
                                   {13, 1, 2000, 2040, true}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& slice = data.slices[2 + i];
        EXPECT_EQ(slice.task, expected[i].task) << i;
        EXPECT_EQ(slice.attempt, expected[i].run) << i;
        EXPECT_EQ(slice.start_ns, expected[i].start) << i;
        EXPECT_EQ(slice.end_ns, expected[i].end) << i;
        EXPECT_EQ(slice.ok, expected[i].ok) << i;
        EXPECT_EQ(slice.thread, 3u) << "its chunk's thread";
        EXPECT_EQ(slice.rank, 2);
        EXPECT_EQ(slice.elements, 0u);
    }
    EXPECT_EQ(data.slices[2].queued_ns, 995) << "its chunk's arrival";
    auto f = data.slices[0].function;
    EXPECT_EQ(data.totals[f].runs, 4u) << "elements are counted, not their chunks";
    EXPECT_EQ(data.totals[f].failures, 2u);
    EXPECT_EQ(data.totals[f].total_ns, 100 + 150 + 140 + 40);
}

TEST(TraceRecord, ElementRunsBeyondTheCapAreCountedButNotKept) {
    TraceRecord record(t0, {"a", "b", "c"}, 1, 3);
    record.submitted(10, 3, code(7), "", {}, 0);
    record.submitted(14, 3, code(7), "", {}, 0);
    record.add(2, {.attempts = {chunk_run(10, 3, 3, 0, 30), chunk_run(14, 3, 3, 30, 60)},
                   .element_runs = {{0, 1, true, 10}, {1, 1, true, 20}, {2, 1, true, 30},
                                    {0, 1, true, 40}, {1, 1, true, 50}, {2, 1, true, 60}}});
    auto data = record.data(t0, 1, "mpi", {});
    ASSERT_EQ(data.slices.size(), 3u) << "the first chunk and two of its elements";
    EXPECT_EQ(data.slices[0].task, 10u);
    EXPECT_EQ(data.slices[1].task, 11u);
    EXPECT_EQ(data.slices[2].task, 12u);
    EXPECT_EQ(data.slices_not_kept, 5u);
    EXPECT_EQ(data.totals[data.slices[0].function].runs, 6u);
}

TEST(TraceRecord, RunsBeyondTheCapAreCountedButNotKept) {
    TraceRecord record(t0, {"a", "b", "c"}, 1, 2);
    record.submitted(1, 0, code(7), "f", {}, 0);
    record.submitted(2, 0, code(7), "f", {}, 0);
    record.submitted(3, 0, code(7), "f", {}, 0);
    record.add(2, {.attempts = {run(1, 0, 100), run(2, 0, 100, false), run(3, 0, 100)}});
    auto data = record.data(t0, 1, "mpi", {});
    EXPECT_EQ(data.slices.size(), 2u);
    EXPECT_EQ(data.slices_not_kept, 1u);
    EXPECT_EQ(data.slice_cap, 2u);
    auto f = data.slices[0].function;
    EXPECT_EQ(data.totals[f].runs, 3u);
    EXPECT_EQ(data.totals[f].failures, 1u);
    EXPECT_EQ(data.totals[f].total_ns, 300);
}

TEST(TraceRecord, PercentilesAreWithinTenPercent) {
    TraceRecord record(t0, {"a", "b", "c"}, 1);
    EventBatch batch;
    for (TaskId task = 1; task <= 1000; ++task) {
        record.submitted(task, 0, code(7), "", {}, 0);
        batch.attempts.push_back(run(task, 0, std::int64_t(task) * 1'000'000));  // 1 ms .. 1 s
    }
    record.add(2, batch);
    auto data = record.data(t0, 1, "mpi", {});
    auto f = data.slices[0].function;
    EXPECT_NEAR(data.totals[f].p50_ns, 500e6, 50e6);
    EXPECT_NEAR(data.totals[f].p99_ns, 990e6, 99e6);
}

TEST(TraceRecord, FlowsGoFromEachInputToItsTask) {
    TraceRecord record(t0, {"a", "b", "c"}, 1);
    record.submitted(1, 0, code(7), "", {}, 0);
    std::vector<TaskId> inputs{1};
    record.submitted(2, 0, code(7), "", inputs, 0);
    auto data = record.data(t0, 1, "mpi", {});
    ASSERT_EQ(data.flows.size(), 1u);
    EXPECT_EQ(data.flows[0].from, 1u);
    EXPECT_EQ(data.flows[0].to, 2u);
}

// The client's own events: when each task was submitted (an element: its chunk's), the
// results it fetched (asked -> came, from the worker keeping them) and its Releases.
TEST(TraceRecord, SubmitTimesFetchesAndReleasesAreTheClients) {
    TraceRecord record(t0, {"a", "b", "c"}, 1);
    record.submitted(1, 0, code(7), "", {}, ns(t0) + 100);
    record.submitted(2, 2, code(7), "", {}, ns(t0) + 200);
    record.answered(2, 1000, 5600, 1200);  // rank 2's clock is 4500 ns ahead: not the client's
    record.add(2, {.attempts = {run(1, ns(t0) + 5000, ns(t0) + 6000), chunk_run(2, 2, 1, ns(t0) + 6000, ns(t0) + 7000)},
                   .element_runs = {{0, 1, true, ns(t0) + 6500}}});
    record.fetch_asked(1, ns(t0) + 3000);
    record.fetched(1, 2, 1 << 20, ns(t0) + 3700);
    record.fetched(9, 2, 64, ns(t0) + 3800);  // never asked for: not a transfer
    record.released(1, ns(t0) + 4000);
    auto data = record.data(t0 + std::chrono::seconds(1), 1, "mpi", {});
    ASSERT_EQ(data.slices.size(), 3u);
    EXPECT_EQ(data.slices[0].submitted_ns, ns(t0) + 100);
    EXPECT_EQ(data.slices[1].submitted_ns, ns(t0) + 200);
    EXPECT_EQ(data.slices[2].submitted_ns, ns(t0) + 200) << "an element: its chunk's submit";
    EXPECT_EQ(data.slices[0].start_ns, ns(t0) + 500) << "the worker's times are moved, the client's are not";
    ASSERT_EQ(data.transfers.size(), 1u);
    EXPECT_EQ(data.transfers[0].task, 1u);
    EXPECT_EQ(data.transfers[0].from, 2);
    EXPECT_EQ(data.transfers[0].to, 1);
    EXPECT_EQ(data.transfers[0].bytes, 1u << 20);
    EXPECT_EQ(data.transfers[0].start_ns, ns(t0) + 3000);
    EXPECT_EQ(data.transfers[0].end_ns, ns(t0) + 3700);
    ASSERT_EQ(data.releases.size(), 1u);
    EXPECT_EQ(data.releases[0].task, 1u);
    EXPECT_EQ(data.releases[0].at_ns, ns(t0) + 4000);
}

}  // namespace
}  // namespace taskfarm::detail
