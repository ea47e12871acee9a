#include "farm.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

int square(int i) { return i * i; }
std::string shout(std::string text, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += text + "!";
    return out;
}
int fail_on_odd(int i) {
    if (i % 2 == 1) throw std::invalid_argument("odd input " + std::to_string(i));
    return i;
}
// The process and thread a task runs on: a worker's (another process under a launcher,
// another thread of this one in the local farm), or inline the caller's own.
std::pair<int, int> where_am_i() { return {static_cast<int>(getpid()), static_cast<int>(gettid())}; }

struct Unusual {};
int throw_unusual() { throw Unusual{}; }

std::atomic<int> side_effects{0};
void touch() { side_effects.fetch_add(1); }

TEST(Futures, SubmitReturnsTheResult) {
    auto future = test::client().submit(square, 7);
    EXPECT_EQ(future.get(), 49);
    EXPECT_TRUE(future.ready());
    EXPECT_EQ(future.get(), 49) << "get() may be called again";
}

TEST(Futures, ArgumentsAndResultsOfStdTypes) {
    EXPECT_EQ(test::client().submit(shout, std::string("go"), 3).get(), "go!go!go!");
}

TEST(Futures, CapturelessLambdas) {
    auto future = test::client().submit([](int a, double b) { return a * b; }, 6, 7.0);
    EXPECT_DOUBLE_EQ(future.get(), 42.0);
}

TEST(Futures, MapAndGather) {
    auto futures = test::client().map(square, std::views::iota(0, 1000));
    ASSERT_EQ(futures.size(), 1000u);
    auto results = test::client().gather(futures);
    EXPECT_EQ(std::accumulate(results.begin(), results.end(), 0L), 332833500L);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(results[i], i * i);
}

TEST(Futures, MapOverAVector) {
    std::vector<std::string> words{"a", "bb", "ccc"};
    auto lengths = test::client().gather(test::client().map([](std::string w) { return w.size(); }, words));
    EXPECT_EQ(lengths, (std::vector<std::size_t>{1, 2, 3}));
}

TEST(Futures, ManySmallTasks) {
    auto futures = test::client().map([](int i) { return i + 1; }, std::views::iota(0, 20000));
    auto results = test::client().gather(futures);
    EXPECT_EQ(std::accumulate(results.begin(), results.end(), 0L), 20000L * 20001L / 2);
}

TEST(Futures, VoidTasks) {
    auto future = test::client().submit(touch);
    future.get();
    EXPECT_TRUE(future.ready());
    std::vector<taskfarm::Future<void>> all;
    for (int i = 0; i < 10; ++i) all.push_back(test::client().submit(touch));
    test::client().gather(all);
    for (auto& f : all) EXPECT_TRUE(f.ready());
    if (test::client().workers() == 0) {
        EXPECT_EQ(side_effects.load(), 11) << "inline mode runs tasks in this process";
    }
}

TEST(Futures, WaitAndReady) {
    auto future = test::client().submit([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return 1;
    });
    future.wait();
    EXPECT_TRUE(future.ready());
    EXPECT_EQ(future.get(), 1);
}

TEST(Futures, TasksRunOnWorkersNotOnTheClient) {
    auto [pid, tid] = test::client().submit(where_am_i).get();
    std::pair<int, int> here{static_cast<int>(getpid()), static_cast<int>(gettid())};
    if (test::client().workers() > 0) {
        EXPECT_NE(std::pair(pid, tid), here);
    } else {
        EXPECT_EQ(std::pair(pid, tid), here);
    }
}

TEST(Errors, ATaskExceptionReachesGetAsTaskError) {
    auto future = test::client().submit(fail_on_odd, 3);
    try {
        future.get();
        FAIL() << "get() should have thrown";
    } catch (const taskfarm::TaskError& error) {
        EXPECT_EQ(error.type_name(), "std::invalid_argument");
        EXPECT_EQ(error.message(), "odd input 3");
        if (test::client().workers() > 0) {
            EXPECT_GE(error.rank(), 2) << "a worker rank";
        } else {
            EXPECT_EQ(error.rank(), 0) << "inline mode runs tasks on the only rank";
        }
        std::string what = error.what();
        EXPECT_NE(what.find("std::invalid_argument"), std::string::npos) << what;
        EXPECT_NE(what.find("odd input 3"), std::string::npos) << what;
        EXPECT_NE(what.find("rank " + std::to_string(error.rank())), std::string::npos) << what;
        EXPECT_EQ(error.task(), future.id());
    }
    EXPECT_THROW(future.get(), std::runtime_error) << "TaskError is a std::runtime_error, every time";
}

TEST(Errors, GatherThrowsTheFirstErrorAndTheFarmKeepsWorking) {
    auto futures = test::client().map(fail_on_odd, std::views::iota(0, 10));
    EXPECT_THROW(test::client().gather(futures), taskfarm::TaskError);
    EXPECT_EQ(futures[4].get(), 4);
    EXPECT_EQ(test::client().submit(square, 9).get(), 81);
}

TEST(Errors, ExceptionsNotFromStdExceptionAreNamed) {
    try {
        test::client().submit(throw_unusual).get();
        FAIL();
    } catch (const taskfarm::TaskError& error) {
        EXPECT_NE(error.type_name().find("Unusual"), std::string::npos) << error.type_name();
    }
}

TEST(Errors, AnEmptyFutureIsAUsageError) {
    taskfarm::Future<int> nothing;
    EXPECT_FALSE(nothing.valid());
    EXPECT_THROW(nothing.get(), taskfarm::UsageError);
}

}  // namespace
