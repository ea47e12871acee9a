// Waiting with a deadline (issue 13, item 1): Future::wait_for, wait(futures, timeout),
// wait_any(futures, timeout), wait(futures, ReturnWhen::first_exception). Inline every task is
// done when submit returns, so there the waits succeed at once.
#include "farm.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <thread>

namespace {

using namespace std::chrono_literals;

int nap(int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    return milliseconds;
}
int fail_now(int) { throw std::runtime_error("failed at once"); }

bool inline_mode() { return test::client().workers() == 0; }

TEST(Deadlines, WaitForGivesUpOnARunningTaskAndSucceedsOnceItIsDone) {
    auto future = test::client().submit(nap, 400);
    if (inline_mode()) {
        EXPECT_TRUE(future.wait_for(0s));
        return;
    }
    EXPECT_FALSE(future.wait_for(20ms));
    EXPECT_FALSE(future.wait_for(0s));
    EXPECT_FALSE(future.ready());
    EXPECT_TRUE(future.wait_for(30s));
    EXPECT_TRUE(future.ready());
    EXPECT_EQ(future.get(), 400);
    EXPECT_TRUE(future.wait_for(0s)) << "a done task is done at once";
}

TEST(Deadlines, WaitForNeverThrowsTheTasksError) {
    auto future = test::client().submit(fail_now, 1);
    EXPECT_TRUE(future.wait_for(30s));
    EXPECT_THROW(future.get(), taskfarm::TaskError);
}

TEST(Deadlines, InfiniteTimeoutsMeanNoDeadline) {
    auto future = test::client().submit(nap, 10);
    EXPECT_TRUE(future.wait_for(std::chrono::duration<double>(std::numeric_limits<double>::infinity())));
    EXPECT_TRUE(future.wait_for(std::chrono::hours(24 * 365 * 1000)));
}

TEST(Deadlines, WaitOnManyReportsWhetherAllWereDone) {
    std::vector<taskfarm::Future<int>> futures{test::client().submit(nap, 1), test::client().submit(nap, 500)};
    if (!inline_mode()) {
        EXPECT_FALSE(taskfarm::wait(futures, 20ms));
    }
    EXPECT_TRUE(taskfarm::wait(futures, 30s));
    for (auto& future : futures) EXPECT_TRUE(future.ready());
}

TEST(Deadlines, WaitAnyWithATimeoutReturnsNothingWhenNoneIsDone) {
    std::vector<taskfarm::Future<int>> slow{test::client().submit(nap, 500)};
    if (!inline_mode()) {
        EXPECT_EQ(taskfarm::wait_any(slow, 20ms), std::nullopt);
    }
    EXPECT_EQ(taskfarm::wait_any(slow, 30s), std::optional<std::size_t>(0));
    std::vector<taskfarm::Future<int>> mixed{test::client().submit(nap, 600), test::client().submit(nap, 1)};
    auto first = taskfarm::wait_any(mixed, 30s);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(mixed[*first].ready());
    EXPECT_THROW(taskfarm::wait_any(std::vector<taskfarm::Future<int>>{}, 1s), taskfarm::UsageError);
}

TEST(Deadlines, FirstExceptionReturnsWhenOneFailsWithoutWaitingForTheRest) {
    // The failing task first: with one worker it runs before the slow ones.
    int slow = inline_mode() ? 1 : 1500;  // inline they run at submit, one after the other
    std::vector<taskfarm::Future<int>> futures{test::client().submit(fail_now, 1), test::client().submit(nap, slow),
                                               test::client().submit(nap, slow)};
    EXPECT_TRUE(taskfarm::wait(futures, taskfarm::ReturnWhen::first_exception));
    EXPECT_TRUE(futures[0].ready());
    EXPECT_THROW(futures[0].get(), taskfarm::TaskError);
    if (!inline_mode()) {
        EXPECT_FALSE(futures[1].ready() && futures[2].ready()) << "it waited for every task";
    }
    for (auto& future : futures) future.cancel();  // the rest of the suite need not wait for them
}

TEST(Deadlines, FirstExceptionWaitsForAllWhenNoneFails) {
    std::vector<taskfarm::Future<int>> futures{test::client().submit(nap, 1), test::client().submit(nap, 50)};
    EXPECT_TRUE(taskfarm::wait(futures, taskfarm::ReturnWhen::first_exception, 30s));
    for (auto& future : futures) EXPECT_TRUE(future.ready());
    std::vector<taskfarm::Future<int>> slow{test::client().submit(nap, 500)};
    if (!inline_mode()) {
        EXPECT_FALSE(taskfarm::wait(slow, taskfarm::ReturnWhen::first_exception, 20ms));
    }
    EXPECT_TRUE(taskfarm::wait(slow, taskfarm::ReturnWhen::first_exception, 30s));
}

TEST(Deadlines, FirstExceptionSeesAFailedElementOfAChunkedMap) {
    // 20 000 elements are chunked (Client::map_chunk); one of them fails inside a chunk that
    // as a whole succeeded.
    auto futures = test::client().map([](int i) {
        if (i == 12345) throw std::domain_error("element 12345");
        return i;
    }, std::views::iota(0, 20000));
    EXPECT_TRUE(taskfarm::wait(futures, taskfarm::ReturnWhen::first_exception, 60s));
    taskfarm::wait(futures);
    EXPECT_THROW(futures[12345].get(), taskfarm::TaskError);
    EXPECT_EQ(futures[12344].get(), 12344);
}

}  // namespace
