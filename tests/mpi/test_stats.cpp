// Client::stats (issue 15, item 6): tasks by state, each worker's counts, the rate. The farm
// is shared with the other tests, so each test looks at what changed while it ran.
#include "farm.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

int stats_nap(int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    return milliseconds;
}
int stats_fail(int) { throw std::runtime_error("fails"); }

std::uint64_t all_states(const taskfarm::Stats& s) {
    return s.pending + s.queued + s.running + s.done + s.failed + s.cancelled;
}
std::uint64_t done_on_workers(const taskfarm::Stats& s) {
    return std::accumulate(s.workers.begin(), s.workers.end(), std::uint64_t(0),
                           [](std::uint64_t sum, const taskfarm::WorkerStats& w) { return sum + w.done; });
}

TEST(Stats, TasksAreCountedByStateAndWorkersSayWhatTheyRun) {
    auto& client = test::client();
    bool farm = client.workers() > 0;
    auto before = client.stats();
    std::vector<taskfarm::Future<int>> naps;
    for (int i = 0; i < 6; ++i) naps.push_back(client.submit(stats_nap, 300));
    auto bad = client.submit(stats_fail, 1);
    auto dropped = client.submit(stats_nap, 300);
    dropped.cancel();
    auto during = client.stats();
    EXPECT_EQ(all_states(during) - all_states(before), 8u) << "every task is in one state";
    if (farm) {
        ASSERT_EQ(during.workers.size(), std::size_t(client.workers()));
        for (const auto& w : during.workers) {
            EXPECT_FALSE(w.stale) << "rank " << w.rank << " answered";
            EXPECT_FALSE(w.host.empty());
        }
        // Within a few seconds some nap runs, and the workers say so.
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (client.stats().running == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        auto busy = client.stats();
        EXPECT_GE(busy.running, 1u);
        std::uint64_t on_workers = 0;
        for (const auto& w : busy.workers) on_workers += w.running;
        EXPECT_GE(on_workers, busy.running);
    } else {
        EXPECT_TRUE(during.workers.empty());
        EXPECT_EQ(during.pending + during.queued + during.running, before.pending + before.queued + before.running)
            << "inline, every task is done when submit returns";
    }
    for (auto& nap : naps) EXPECT_EQ(nap.get(), 300);
    EXPECT_THROW(bad.get(), taskfarm::TaskError);
    auto after = client.stats();
    EXPECT_EQ(after.failed - before.failed, 1u);
    // Inline, the cancelled task was done before cancel(): it counts as done.
    EXPECT_EQ(after.cancelled - before.cancelled, farm ? 1u : 0u);
    // In a farm, tasks left running by the tests before this one (abandoned ones) may finish
    // meanwhile and count too: at least the 6 naps.
    if (farm) EXPECT_GE(after.done - before.done, 6u);
    else EXPECT_EQ(after.done - before.done, 7u);
    if (farm) {
        EXPECT_GE(done_on_workers(after) - done_on_workers(before), 7u) << "6 naps and the failure, at least";
    }
    EXPECT_GT(after.tasks_per_second, 0);
    EXPECT_GT(after.elapsed.count(), 0);
}

}  // namespace
