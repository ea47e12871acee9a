#include "trace_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace taskfarm::detail {
namespace {

using nlohmann::json;

const std::string hostile_name = "f<\"quotes\"> <script>alert(1)</script>";

TraceData::Slice slice(TaskId task, int rank, std::uint32_t thread, std::int64_t start, std::int64_t end,
                       std::uint32_t function = 0) {
    TraceData::Slice slice;
    slice.task = task;
    slice.rank = rank;
    slice.thread = thread;
    slice.queued_ns = start - 100;
    slice.start_ns = start;
    slice.end_ns = end;
    slice.function = function;
    return slice;
}

// Two workers (ranks 2 and 3), times from start_ns = 1'000'000.
TraceData two_workers() {
    TraceData data;
    data.start_ns = 1'000'000;
    data.end_ns = 1'100'000;
    data.hosts = {"node-s", "node-c", "node-a", "node-b"};
    data.workers = 2;
    data.layout = "mpi";
    data.configuration = {{"threads_per_worker", "2"}, {"trace", "/tmp/t \"x\".json"}};
    data.functions = {"square", "sum", hostile_name};
    constexpr std::int64_t t = 1'000'000;

    auto square = slice(10, 2, 0, t + 1000, t + 5000);
    square.bytes_in = 8;
    square.bytes_out = 16;
    auto failed = slice(11, 2, 0, t + 6000, t + 8000);
    failed.ok = false;
    auto retry = slice(11, 3, 0, t + 9000, t + 12000);
    retry.attempt = 2;
    auto chunk = slice(20, 3, 1, t + 2000, t + 20000, 1);
    chunk.elements = 3;
    data.slices = {square,
                   failed,
                   retry,
                   slice(23, 3, 1, t + 12000, t + 20000, 1),  // elements out of order: the writer sorts
                   chunk,
                   slice(21, 3, 1, t + 2000, t + 6000, 1),
                   slice(22, 3, 1, t + 6000, t + 12000, 1),
                   slice(30, 2, 1, t + 3000, t + 4000, 2)};
    data.flows = {{10, 11}, {10, 99}};  // 99: no slice (beyond the cap), so no arrow
    data.counters = {{2, t + 1500, 2, 1, 100}, {3, t + 2500, 0, 2, 4096}};
    data.transfers = {{10, 2, 3, 4096, t + 8000, t + 8800}, {30, 2, 3, 64, t + 8100, t + 9000}};
    data.slice_cap = 1000;
    return data;
}

std::vector<json> events_of(const json& trace, const std::string& phase) {
    std::vector<json> found;
    for (const auto& event : trace.at("traceEvents"))
        if (event.at("ph") == phase) found.push_back(event);
    return found;
}

const json* find_slice(const std::vector<json>& slices, TaskId task, std::uint32_t attempt) {
    for (const auto& event : slices)
        if (event.at("args").at("task") == task && event.at("args").at("attempt") == attempt) return &event;
    return nullptr;
}

// As Perfetto reads a time: microseconds to whole nanoseconds, rounded.
std::int64_t nanos(const json& micros) { return std::llround(micros.get<double>() * 1000.0); }

// Empty when every two complete events of one (pid, tid) are nested or disjoint; else says
// which are not. Sorted by start (longest first), a stack of open ends: an event must start
// after the top ends (pop it) or end before it does.
std::string nesting_problem(const json& trace) {
    std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::tuple<std::int64_t, std::int64_t, std::string>>>
        tracks;
    for (const auto& event : events_of(trace, "X")) {
        std::int64_t start = nanos(event.at("ts"));
        tracks[{event.at("pid").get<std::int64_t>(), event.at("tid").get<std::int64_t>()}].emplace_back(
            start, start + nanos(event.at("dur")), event.at("name").get<std::string>());
    }
    for (auto& [track, slices] : tracks) {
        std::sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) {
            return std::make_pair(std::get<0>(a), -std::get<1>(a)) < std::make_pair(std::get<0>(b), -std::get<1>(b));
        });
        std::vector<std::tuple<std::int64_t, std::int64_t, std::string>> open;
        for (const auto& slice : slices) {
            while (!open.empty() && std::get<1>(open.back()) <= std::get<0>(slice)) open.pop_back();
            if (!open.empty() && std::get<1>(slice) > std::get<1>(open.back())) {
                return "pid " + std::to_string(track.first) + " tid " + std::to_string(track.second) + ": " +
                       std::get<2>(slice) + " [" + std::to_string(std::get<0>(slice)) + ", " +
                       std::to_string(std::get<1>(slice)) + "] overlaps " + std::get<2>(open.back()) + " [" +
                       std::to_string(std::get<0>(open.back())) + ", " + std::to_string(std::get<1>(open.back())) +
                       "]";
            }
            open.push_back(slice);
        }
    }
    return {};
}

TEST(TraceJson, OneCompleteEventPerSliceWithItsNameAndArgs) {
    TraceData data = two_workers();
    json trace = chrome_trace(data);
    auto slices = events_of(trace, "X");
    ASSERT_EQ(slices.size(), data.slices.size());

    const json* square = find_slice(slices, 10, 1);
    ASSERT_NE(square, nullptr);
    EXPECT_EQ(square->at("name"), "square");
    EXPECT_EQ(square->at("cat"), "task");
    EXPECT_EQ(square->at("pid"), 2);
    EXPECT_EQ(square->at("tid"), 0);
    EXPECT_DOUBLE_EQ(square->at("ts").get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(square->at("dur").get<double>(), 4.0);
    EXPECT_EQ(square->at("args"), (json{{"task", 10},
                                        {"attempt", 1},
                                        {"bytes_in", 8},
                                        {"bytes_out", 16},
                                        {"outcome", "ok"},
                                        {"queued_us", 0.1}}));

    const json* failed = find_slice(slices, 11, 1);
    const json* retry = find_slice(slices, 11, 2);
    ASSERT_NE(failed, nullptr);
    ASSERT_NE(retry, nullptr);
    EXPECT_EQ(failed->at("args").at("outcome"), "failed");
    EXPECT_EQ(retry->at("args").at("outcome"), "ok");
    EXPECT_EQ(retry->at("pid"), 3);

    const json* chunk = find_slice(slices, 20, 1);
    ASSERT_NE(chunk, nullptr);
    EXPECT_EQ(chunk->at("name"), "map chunk of sum (3 elements)");
    EXPECT_EQ(chunk->at("args").at("elements"), 3);
    for (TaskId element : {21, 22, 23}) {
        const json* run = find_slice(slices, element, 1);
        ASSERT_NE(run, nullptr);
        EXPECT_EQ(run->at("name"), "sum");
        EXPECT_EQ(run->at("tid"), 1);
    }
    EXPECT_EQ(find_slice(slices, 30, 1)->at("name"), hostile_name);
}

TEST(TraceJson, TracksAreNamedByRankHostAndThreadInOrder) {
    json trace = chrome_trace(two_workers());
    std::map<std::pair<int, int>, std::string> threads;
    std::map<int, std::string> processes;
    std::map<std::pair<int, int>, int> thread_order;
    for (const auto& event : events_of(trace, "M")) {
        const std::string name = event.at("name");
        if (name == "thread_name")
            threads[{event.at("pid"), event.at("tid")}] = event.at("args").at("name");
        if (name == "process_name") processes[event.at("pid")] = event.at("args").at("name");
        if (name == "thread_sort_index") thread_order[{event.at("pid"), event.at("tid")}] = event.at("args").at("sort_index");
    }
    EXPECT_EQ(threads.at({2, 0}), "rank 2 host node-a thread 0");
    EXPECT_EQ(threads.at({2, 1}), "rank 2 host node-a thread 1");
    EXPECT_EQ(threads.at({3, 0}), "rank 3 host node-b thread 0");
    EXPECT_EQ(threads.at({3, 1}), "rank 3 host node-b thread 1");
    EXPECT_EQ(threads.at({3, 100000}), "inputs received");
    EXPECT_EQ(threads.size(), 5u);
    EXPECT_EQ(processes.at(2), "rank 2 (worker) on node-a");
    EXPECT_EQ(processes.at(3), "rank 3 (worker) on node-b");
    EXPECT_LT(thread_order.at({3, 0}), thread_order.at({3, 1}));
}

TEST(TraceJson, TheNestingCheckerFindsAnOverlap) {
    json bad = {{"traceEvents",
                 {{{"ph", "X"}, {"name", "a"}, {"pid", 2}, {"tid", 0}, {"ts", 1.0}, {"dur", 2.0}},
                  {{"ph", "X"}, {"name", "b"}, {"pid", 2}, {"tid", 0}, {"ts", 2.0}, {"dur", 2.0}},
                  {{"ph", "X"}, {"name", "c"}, {"pid", 2}, {"tid", 1}, {"ts", 2.0}, {"dur", 2.0}}}}};
    EXPECT_EQ(nesting_problem(bad), "pid 2 tid 0: b [2000, 4000] overlaps a [1000, 3000]");
}

TEST(TraceJson, SlicesOnATrackNestOrAreDisjoint) {
    json trace = chrome_trace(two_workers());
    EXPECT_EQ(nesting_problem(trace), "");
    // The chunk's elements are inside it, on its track.
    auto slices = events_of(trace, "X");
    const json* chunk = find_slice(slices, 20, 1);
    for (TaskId element : {21, 22, 23}) {
        const json* run = find_slice(slices, element, 1);
        EXPECT_GE(nanos(run->at("ts")), nanos(chunk->at("ts")));
        EXPECT_LE(nanos(run->at("ts")) + nanos(run->at("dur")), nanos(chunk->at("ts")) + nanos(chunk->at("dur")));
    }
}

TEST(TraceJson, ARoundedChildStillNestsAndRoundedSiblingsDoNotOverlap) {
    // A chunk [1000, 2000] ns whose element was at [1000.4, 1999.6] on its own clock: moved
    // onto the client's clock and rounded the other way it is [999, 2001], out by 1 ns each
    // side. Its next sibling starts 1 ns before the first ends.
    TraceData data;
    data.functions = {"f"};
    auto chunk = slice(1, 2, 0, 1000, 2000);
    chunk.elements = 2;
    data.slices = {chunk, slice(2, 2, 0, 999, 1500), slice(3, 2, 0, 1499, 2001)};
    json trace = chrome_trace(data);
    EXPECT_EQ(nesting_problem(trace), "");
    auto slices = events_of(trace, "X");
    ASSERT_EQ(slices.size(), 3u);
    for (const auto& event : slices) EXPECT_EQ(event.at("tid"), 0) << event.dump();
    const json* first = find_slice(slices, 2, 1);
    const json* second = find_slice(slices, 3, 1);
    EXPECT_EQ(nanos(first->at("ts")), 1000);
    EXPECT_EQ(nanos(first->at("ts")) + nanos(first->at("dur")), 1500);
    EXPECT_EQ(nanos(second->at("ts")), 1500);
    EXPECT_EQ(nanos(second->at("ts")) + nanos(second->at("dur")), 2000);
}

TEST(TraceJson, ARealOverlapGoesToAnOverlapTrack) {
    TraceData data;
    data.hosts = {"", "", "node-a"};
    data.functions = {"f"};
    data.slices = {slice(1, 2, 3, 0, 10'000), slice(2, 2, 3, 5'000, 15'000), slice(3, 2, 3, 20'000, 21'000)};
    json trace = chrome_trace(data);
    EXPECT_EQ(nesting_problem(trace), "");
    auto slices = events_of(trace, "X");
    ASSERT_EQ(slices.size(), 3u);
    EXPECT_EQ(find_slice(slices, 1, 1)->at("tid"), 3);
    EXPECT_EQ(find_slice(slices, 2, 1)->at("tid"), 1003);
    EXPECT_EQ(find_slice(slices, 3, 1)->at("tid"), 3);
    EXPECT_EQ(nanos(find_slice(slices, 2, 1)->at("dur")), 10'000);  // drawn as recorded
    bool named = false;
    for (const auto& event : events_of(trace, "M"))
        if (event.at("name") == "thread_name" && event.at("tid") == 1003) {
            EXPECT_EQ(event.at("args").at("name"), "rank 2 host node-a thread 3 (overlap)");
            named = true;
        }
    EXPECT_TRUE(named);
}

// Threads of plain runs and chunks (some run twice on the thread: a retry), every time moved
// by a few ns (rounding) and now and then by a few µs (a real overlap).
TEST(TraceJson, JitteredTracksStillNest) {
    std::mt19937_64 random(15);
    auto jitter = [&] {
        auto ns = static_cast<std::int64_t>(random() % 7) - 3;
        return random() % 50 == 0 ? ns * 1000 : ns;
    };
    TraceData data;
    data.functions = {"f"};
    TaskId next = 1;
    for (int rank = 2; rank < 4; ++rank) {
        for (std::uint32_t thread = 0; thread < 3; ++thread) {
            std::int64_t now = 0;
            for (int run = 0; run < 200; ++run) {
                auto length = static_cast<std::int64_t>(1000 + random() % 5000);
                if (random() % 4 != 0) {
                    data.slices.push_back(slice(next++, rank, thread, now + jitter(), now + length + jitter()));
                    now += length + 100;
                    continue;
                }
                auto elements = static_cast<std::uint32_t>(1 + random() % 5);
                TaskId chunk_id = next;
                next += 1 + elements;
                for (std::uint32_t attempt = 1; attempt <= 1 + random() % 2; ++attempt) {
                    auto chunk = slice(chunk_id, rank, thread, now, now + elements * length);
                    chunk.elements = elements;
                    chunk.attempt = attempt;
                    data.slices.push_back(chunk);
                    for (std::uint32_t k = 0; k < elements; ++k) {
                        auto element = slice(chunk_id + 1 + k, rank, thread, now + k * length + jitter(),
                                             now + (k + 1) * length + jitter());
                        element.attempt = attempt;
                        data.slices.push_back(element);
                    }
                    now = chunk.end_ns + 100;
                }
            }
        }
    }
    std::shuffle(data.slices.begin(), data.slices.end(), random);
    json trace = chrome_trace(data);
    EXPECT_EQ(nesting_problem(trace), "");
    auto slices = events_of(trace, "X");
    EXPECT_EQ(slices.size(), data.slices.size());
    auto on_overlap_tracks = std::count_if(slices.begin(), slices.end(),
                                           [](const json& event) { return event.at("tid").get<int>() >= 1000; });
    EXPECT_GT(on_overlap_tracks, 0);                  // the test reaches the overlap tracks
    EXPECT_LT(static_cast<std::size_t>(on_overlap_tracks), slices.size() / 20);  // rounding alone does not
}

TEST(TraceJson, FlowsGoFromTheProducersLastSliceToTheConsumersFirst) {
    json trace = chrome_trace(two_workers());
    auto starts = events_of(trace, "s");
    auto finishes = events_of(trace, "f");
    ASSERT_EQ(starts.size(), 1u);  // the flow to task 99 has no consumer slice
    ASSERT_EQ(finishes.size(), 1u);
    EXPECT_EQ(starts[0].at("id"), finishes[0].at("id"));
    EXPECT_EQ(starts[0].at("cat"), "input");
    EXPECT_EQ(finishes[0].at("name"), "input");
    EXPECT_EQ(finishes[0].at("bp"), "e");
    // From task 10 (rank 2 thread 0, ends at 5 µs) to task 11's first attempt (rank 2
    // thread 0, starts at 6 µs): each end just inside its slice.
    EXPECT_EQ(starts[0].at("pid"), 2);
    EXPECT_EQ(starts[0].at("tid"), 0);
    EXPECT_EQ(nanos(starts[0].at("ts")), 4999);
    EXPECT_EQ(finishes[0].at("pid"), 2);
    EXPECT_EQ(finishes[0].at("tid"), 0);
    EXPECT_EQ(nanos(finishes[0].at("ts")), 6001);
}

TEST(TraceJson, CountersAndTransfers) {
    json trace = chrome_trace(two_workers());
    auto counters = events_of(trace, "C");
    ASSERT_EQ(counters.size(), 4u);
    EXPECT_EQ(counters[0].at("name"), "tasks");
    EXPECT_EQ(counters[0].at("pid"), 2);
    EXPECT_EQ(counters[0].at("args"), (json{{"queued", 2}, {"running", 1}}));
    EXPECT_DOUBLE_EQ(counters[0].at("ts").get<double>(), 1.5);
    EXPECT_EQ(counters[1].at("name"), "bytes held");
    EXPECT_EQ(counters[1].at("args"), (json{{"bytes", 100}}));

    auto begins = events_of(trace, "b");
    auto ends = events_of(trace, "e");
    ASSERT_EQ(begins.size(), 2u);
    ASSERT_EQ(ends.size(), 2u);
    EXPECT_NE(begins[0].at("id"), begins[1].at("id"));  // they overlap: one async id each
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(begins[i].at("id"), ends[i].at("id"));
        EXPECT_EQ(begins[i].at("name"), ends[i].at("name"));
        EXPECT_EQ(begins[i].at("cat"), ends[i].at("cat"));
        EXPECT_EQ(begins[i].at("pid"), 3);
        EXPECT_LE(begins[i].at("ts").get<double>(), ends[i].at("ts").get<double>());
    }
    EXPECT_EQ(begins[0].at("args"), (json{{"task", 10}, {"from", 2}, {"to", 3}, {"bytes", 4096}}));
}

// The client's side: a result it fetched (an async slice "result fetched" under the client),
// its Releases (instants on a track "results released"), how long a task waited since submit.
TEST(TraceJson, FetchedResultsReleasesAndWaitsSinceSubmit) {
    auto data = two_workers();
    constexpr std::int64_t t = 1'000'000;
    data.transfers.push_back({10, 2, 1, 1 << 20, t + 5100, t + 7100});
    data.releases = {{10, t + 7200}, {11, t + 12500}};
    data.slices[0].submitted_ns = t + 400;  // square: starts at t + 1000
    json trace = chrome_trace(data);
    auto begins = events_of(trace, "b");
    ASSERT_EQ(begins.size(), 3u);
    EXPECT_EQ(begins[2].at("name"), "result fetched");
    EXPECT_EQ(begins[2].at("pid"), 1);
    EXPECT_EQ(begins[2].at("args"), (json{{"task", 10}, {"from", 2}, {"to", 1}, {"bytes", 1 << 20}}));
    EXPECT_EQ(begins[0].at("name"), "input received");
    auto instants = events_of(trace, "i");
    ASSERT_EQ(instants.size(), 2u);
    EXPECT_EQ(instants[0].at("name"), "released");
    EXPECT_EQ(instants[0].at("pid"), 1);
    EXPECT_EQ(instants[0].at("args").at("task"), 10);
    EXPECT_DOUBLE_EQ(instants[1].at("ts").get<double>(), 12.5);
    std::set<std::string> client_tracks;
    for (const auto& event : events_of(trace, "M"))
        if (event.at("name") == "thread_name" && event.at("pid") == 1) client_tracks.insert(event.at("args").at("name"));
    EXPECT_EQ(client_tracks, (std::set<std::string>{"results fetched", "results released"}));
    auto slices = events_of(trace, "X");
    ASSERT_NE(find_slice(slices, 10, 1), nullptr);
    ASSERT_NE(find_slice(slices, 11, 1), nullptr);
    EXPECT_DOUBLE_EQ(find_slice(slices, 10, 1)->at("args").at("waited_us").get<double>(), 0.6);
    EXPECT_FALSE(find_slice(slices, 11, 1)->at("args").contains("waited_us")) << "not submitted by this client";
}

TEST(TraceJson, OtherDataSaysTheLayoutConfigurationAndWhatWasAggregated) {
    TraceData data = two_workers();
    json other = chrome_trace(data).at("otherData");
    EXPECT_EQ(other.at("layout"), "mpi");
    EXPECT_EQ(other.at("workers"), 2);
    EXPECT_EQ(other.at("configuration").at("trace"), "/tmp/t \"x\".json");
    EXPECT_EQ(other.at("slices_not_kept"), 0);
    EXPECT_FALSE(other.contains("aggregated"));

    data.slices_not_kept = 5;
    other = chrome_trace(data).at("otherData");
    EXPECT_NE(other.at("aggregated").get<std::string>().find("5 task runs beyond the cap of 1000"), std::string::npos);
    EXPECT_EQ(chrome_trace(data).at("displayTimeUnit"), "ns");
}

TEST(TraceJson, StringsAreEscapedAndTheTraceRoundTrips) {
    json trace = chrome_trace(two_workers());
    std::string text = trace.dump();
    EXPECT_NE(text.find(R"(f<\"quotes\"> <script>)"), std::string::npos);
    EXPECT_EQ(json::parse(text), trace);
}

class TraceJsonFile : public ::testing::Test {
protected:
    std::filesystem::path directory =
        std::filesystem::temp_directory_path() /
        ("taskfarm_trace_test_" + std::to_string(getpid()) + "_" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    void SetUp() override { std::filesystem::create_directories(directory); }
    void TearDown() override { std::filesystem::remove_all(directory); }
};

TEST_F(TraceJsonFile, WritesAParseableFileThroughATemporaryOne) {
    TraceData data = two_workers();
    std::string path = (directory / "t.json").string();
    write_chrome_trace(data, path);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    std::ifstream file(path);
    EXPECT_EQ(json::parse(file), chrome_trace(data));
}

TEST_F(TraceJsonFile, AnUnwritablePathThrowsNamingIt) {
    std::string path = (directory / "no such directory" / "t.json").string();
    try {
        write_chrome_trace(two_workers(), path);
        FAIL() << "no exception";
    } catch (const std::runtime_error& error) {
        std::string what = error.what();
        EXPECT_NE(what.find(path), std::string::npos) << what;
        EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace taskfarm::detail
