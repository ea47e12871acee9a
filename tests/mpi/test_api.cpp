// The day-to-day API beyond submit/get: zipped maps, waiting on many, cancelling, skipping errors.
#include "farm.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

namespace {

int nap_then_return(int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    return milliseconds;
}
int fail_on_negative(int x) {
    if (x < 0) throw std::out_of_range("negative");
    return x;
}

TEST(Map, ZipsSeveralRangesAndStopsAtTheShortest) {
    std::vector<int> xs{1, 2, 3, 4};
    std::vector<double> ys{0.5, 0.25, 2.0};
    auto futures = test::client().map([](int x, double y) { return x * y; }, xs, ys);
    ASSERT_EQ(futures.size(), 3u);
    EXPECT_EQ(test::client().gather(futures), (std::vector<double>{0.5, 0.5, 6.0}));
}

TEST(Map, OverRangesOfStructs) {
    struct Point {
        double x, y;
    };
    std::vector<Point> points{{3, 4}, {6, 8}};
    auto norms = test::client().gather(test::client().map([](Point p) { return p.x * p.x + p.y * p.y; }, points));
    EXPECT_EQ(norms, (std::vector<double>{25, 100}));
}

TEST(Map, OverAView) {
    auto evens = std::views::iota(0, 20) | std::views::filter([](int i) { return i % 2 == 0; });
    auto halves = test::client().gather(test::client().map([](int i) { return i / 2; }, evens));
    EXPECT_EQ(halves, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Waiting, WaitBlocksUntilAllAreDone) {
    auto futures = test::client().map(nap_then_return, std::vector<int>{30, 10, 20});
    taskfarm::wait(futures);
    for (const auto& future : futures) EXPECT_TRUE(future.ready());
}

TEST(Waiting, WaitAnyReturnsTheIndexOfADoneFuture) {
    auto futures = test::client().map(nap_then_return, std::vector<int>{30, 1, 30});
    auto index = taskfarm::wait_any(futures);
    ASSERT_LT(index, futures.size());
    EXPECT_TRUE(futures[index].ready());
}

// In a farm; inline, every task is done by the time submit returns.
bool tasks_run_elsewhere() { return test::client().workers() > 0; }

TEST(Waiting, WaitAnyPicksTheOneThatIsDone) {
    auto quick = test::client().submit(nap_then_return, 0);
    quick.wait();
    auto slow = test::client().submit(nap_then_return, 600);
    auto index = taskfarm::wait_any(std::vector{slow, quick});
    if (tasks_run_elsewhere()) {
        EXPECT_EQ(index, 1u);
        EXPECT_FALSE(slow.ready());
    }
}

TEST(Waiting, AsCompletedYieldsEachFutureOnceAsItFinishes) {
    std::vector<int> naps{80, 5, 40, 1, 20, 2};
    auto futures = test::client().map(nap_then_return, naps);
    std::set<std::uint64_t> seen;
    for (const auto& future : taskfarm::as_completed(futures)) {
        EXPECT_TRUE(future.ready()) << "yielded only once done";
        EXPECT_TRUE(seen.insert(future.id()).second) << "yielded twice";
    }
    EXPECT_EQ(seen.size(), naps.size());
}

TEST(Waiting, AsCompletedPutsFinishedTasksBeforeRunningOnes) {
    auto quick = test::client().submit(nap_then_return, 0);
    quick.wait();
    auto slow = test::client().submit(nap_then_return, 600);
    std::vector<int> order;
    for (const auto& future : taskfarm::as_completed(std::vector{slow, quick})) order.push_back(future.get());
    if (tasks_run_elsewhere()) {
        EXPECT_EQ(order, (std::vector<int>{0, 600}));
    } else {
        EXPECT_EQ(order, (std::vector<int>{600, 0})) << "inline: all done at once, in submission order";
    }
}

TEST(Waiting, AsCompletedOfNothingIsEmpty) {
    std::vector<taskfarm::Future<int>> none;
    int count = 0;
    for (const auto& future : taskfarm::as_completed(none)) count += future.valid();
    EXPECT_EQ(count, 0);
}

TEST(Cancel, AnUnstartedTaskIsCancelledAndTheFarmGoesOn) {
    // Fill every worker's window with slow tasks, so the last one is still queued.
    int slots = std::max(1, test::client().workers()) * 20;
    auto busy = test::client().map(nap_then_return, std::vector<int>(static_cast<std::size_t>(slots), 20));
    auto last = test::client().submit(nap_then_return, 1);
    last.cancel();
    EXPECT_TRUE(last.ready());
    EXPECT_THROW(last.get(), taskfarm::CancelledError);
    try {
        last.get();
    } catch (const taskfarm::CancelledError& error) {
        EXPECT_EQ(error.task(), last.id());
    }
    for (auto& future : busy) future.cancel();
    EXPECT_EQ(test::client().submit(nap_then_return, 2).get(), 2);
}

TEST(Gather, SkipLeavesOutFailedAndCancelledTasks) {
    auto futures = test::client().map(fail_on_negative, std::vector<int>{1, -1, 2, -2, 3});
    futures[4].cancel();
    EXPECT_THROW(test::client().gather(futures), taskfarm::TaskError);
    EXPECT_EQ(test::client().gather(futures, taskfarm::OnError::skip), (std::vector<int>{1, 2}));
}

TEST(Gather, VoidTasksWithSkip) {
    auto futures = test::client().map([](int x) { if (x < 0) throw std::runtime_error("no"); }, std::vector<int>{1, -1});
    EXPECT_THROW(test::client().gather(futures), taskfarm::TaskError);
    EXPECT_NO_THROW(test::client().gather(futures, taskfarm::OnError::skip));
}

}  // namespace
