// What went wrong, as data (issue 13, items 2-4 and 7): TaskError::cause() and rethrow_as,
// Future::exception() and cancelled(), fire_and_forget, as_completed(...).add. Run inline,
// in the local farm and under mpirun (tests/CMakeLists.txt).
#include "farm.hpp"
#include "unreadable.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using Cause = taskfarm::TaskError::Cause;

int nap(int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    return milliseconds;
}
int reject(int x) { throw std::invalid_argument("rejected " + std::to_string(x)); }
int fail_on_odd(int i) {
    if (i % 2 == 1) throw std::out_of_range("odd " + std::to_string(i));
    return i;
}

namespace app {
struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
}  // namespace app
int parse(int line) { throw app::ParseError("bad token on line " + std::to_string(line)); }

using test::Unreadable;
int unwrap(Unreadable unreadable) { return unreadable.value; }
Unreadable make_unreadable(int value) { return Unreadable{value}; }

bool inline_mode() { return test::client().workers() == 0; }

taskfarm::TaskError error_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const taskfarm::TaskError& e) {
        return e;
    }
}

TEST(Outcomes, CauseSaysWhyATaskFailed) {
    auto thrown = test::client().submit(reject, 1);
    taskfarm::TaskOptions limit;
    limit.timeout = 0.1s;
    auto timed_out = test::client().submit(nap, 1500, limit);
    auto bad_argument = test::client().submit(unwrap, Unreadable{-1});
    auto bad_result = test::client().submit(make_unreadable, -2);
    auto good = test::client().submit(unwrap, Unreadable{5});

    std::map<std::string, Cause> seen;
    for (auto* future : {&thrown, &timed_out, &bad_argument}) {
        try {
            future->get();
            ADD_FAILURE() << "task " << future->id() << " succeeded";
        } catch (const taskfarm::TaskError& e) {
            seen[e.type_name()] = e.cause();
            if (future == &bad_argument) {
                EXPECT_NE(e.message().find("arguments could not be decoded: a negative Unreadable"), std::string::npos)
                    << e.what();
            }
        }
    }
    EXPECT_EQ(seen["std::invalid_argument"], Cause::exception);
    EXPECT_EQ(seen["taskfarm::Timeout"], Cause::timeout);
    EXPECT_EQ(seen["std::runtime_error"], Cause::undecodable) << "the argument's decoder threw, not the task";
    try {
        bad_result.get();
        ADD_FAILURE() << "a result that does not decode was returned";
    } catch (const taskfarm::TaskError& e) {
        EXPECT_EQ(e.cause(), Cause::undecodable) << e.what();
    }
    EXPECT_EQ(good.get(), 5);
    EXPECT_STREQ(taskfarm::to_string(Cause::worker_lost), "worker_lost");
}

TEST(Outcomes, AnElementWhoseArgumentsDoNotDecodeFailsAsUndecodable) {
    // 12 000 elements are chunked under a farm; inline each is its own task.
    std::vector<Unreadable> inputs(12000);
    for (int i = 0; i < 12000; ++i) inputs[std::size_t(i)].value = i == 11990 ? -1 : i;
    auto futures = test::client().map(unwrap, inputs);
    EXPECT_EQ(futures[11989].get(), 11989);
    EXPECT_EQ(error_of(futures[11990].exception()).cause(), Cause::undecodable);
}

TEST(Outcomes, RethrowAsThrowsTheRemoteTypeWithItsMessage) {
    auto future = test::client().submit(reject, 7);
    try {
        future.get();
        FAIL() << "no error";
    } catch (const taskfarm::TaskError& e) {
        EXPECT_NO_THROW(e.rethrow_as<std::out_of_range>()) << "not the type thrown: it returns";
        EXPECT_NO_THROW(e.rethrow_as<std::logic_error>()) << "a base class does not match";
        try {
            e.rethrow_as<std::out_of_range, std::invalid_argument>();
            FAIL() << "rethrow_as returned for the type the task threw";
        } catch (const std::invalid_argument& remote) {
            EXPECT_STREQ(remote.what(), "rejected 7");
        }
    }
    try {
        test::client().submit(parse, 12).get();
        FAIL() << "no error";
    } catch (const taskfarm::TaskError& e) {
        EXPECT_THROW(e.rethrow_as<app::ParseError>(), app::ParseError) << e.type_name();
    }
}

TEST(Outcomes, ExceptionIsWhatGetWouldThrowOrNull) {
    auto good = test::client().submit(nap, 1);
    auto bad = test::client().submit(reject, 2);
    EXPECT_EQ(good.exception(), nullptr);
    auto error = bad.exception();
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error_of(error).type_name(), "std::invalid_argument");
    EXPECT_EQ(error_of(error).task(), bad.id());

    // Elements of a chunked map: each has its own outcome.
    auto elements = test::client().map(fail_on_odd, std::views::iota(0, 10000));
    EXPECT_EQ(elements[4].exception(), nullptr);
    EXPECT_EQ(error_of(elements[5].exception()).message(), "odd 5");

    auto cancelled = test::client().submit(nap, 1);
    cancelled.cancel();
    EXPECT_THROW(std::rethrow_exception(cancelled.exception()), taskfarm::CancelledError);
}

TEST(Outcomes, CancelledIsTrueOnlyAfterCancel) {
    auto running = test::client().submit(nap, inline_mode() ? 1 : 300);
    auto failed = test::client().submit(reject, 3);
    failed.wait();
    EXPECT_FALSE(running.cancelled());
    EXPECT_FALSE(failed.cancelled()) << "a failure is not a cancellation";
    auto copy = running;
    copy.cancel();
    EXPECT_TRUE(running.cancelled()) << "copies share one task";
    EXPECT_TRUE(running.ready());
    auto elements = test::client().map(nap, std::vector<int>(3, 1));
    elements[1].cancel();
    EXPECT_FALSE(elements[0].cancelled());
    EXPECT_TRUE(elements[1].cancelled());
}

// Writes a file: a task run for what it does, not what it returns.
void write_marker(std::string path, int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    std::ofstream(path) << "done\n";
}

std::filesystem::path fresh_directory(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("taskfarm-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(test::client().workers()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::size_t files_in(const std::filesystem::path& dir, std::chrono::seconds patience) {
    auto count = [&] {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
    };
    for (auto until = std::chrono::steady_clock::now() + patience; count() < 100 && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(20ms);
    return count();
}

TEST(FireAndForget, TasksRunToTheEndWithNoFutureLeft) {
    auto dir = fresh_directory("fire");
    for (int i = 0; i < 100; ++i)
        taskfarm::fire_and_forget(test::client().submit(write_marker, (dir / std::to_string(i)).string(), 2));
    EXPECT_EQ(files_in(dir, 60s), 100u);
    std::filesystem::remove_all(dir);
}

TEST(FireAndForget, ElementsOfAMapAndVectorsOfFutures) {
    auto dir = fresh_directory("fire-map");
    std::vector<std::string> paths;
    for (int i = 0; i < 100; ++i) paths.push_back((dir / std::to_string(i)).string());
    taskfarm::fire_and_forget(test::client().map(write_marker, paths, std::vector<int>(100, 1)));
    EXPECT_EQ(files_in(dir, 60s), 100u);
    std::filesystem::remove_all(dir);
}

TEST(FireAndForget, WithoutItDroppedFuturesAreCancelled) {
    // The control for the tests above: the same tasks, their Futures dropped, queued behind
    // slow tasks on every worker so that none has started when the Futures go. Inline, each
    // has run by the time submit returns.
    auto dir = fresh_directory("dropped");
    auto blockers = test::client().map(nap, std::vector<int>(std::size_t(test::client().workers()) * 4, 300));
    for (int i = 0; i < 100; ++i) {
        auto dropped = test::client().submit(write_marker, (dir / std::to_string(i)).string(), 1);
    }
    taskfarm::wait(blockers);
    if (inline_mode()) EXPECT_EQ(files_in(dir, 1s), 100u);
    else EXPECT_LT(files_in(dir, 1s), 100u) << "dropping a Future no longer cancels its task";
    std::filesystem::remove_all(dir);
}

TEST(AsCompleted, FuturesAddedDuringTheLoopAreYieldedToo) {
    auto completed = taskfarm::as_completed(std::vector{test::client().submit(nap, 5)});
    int yielded = 0, added = 0;
    std::vector<int> seen;
    for (const auto& future : completed) {
        ++yielded;
        seen.push_back(future.get());
        if (added < 6) {  // each result brings two more tasks, up to six
            completed.add(test::client().submit(nap, 10 + added++));
            completed.add(test::client().submit(nap, 10 + added++));
        }
    }
    EXPECT_EQ(yielded, 7);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int>{5, 10, 11, 12, 13, 14, 15}));
}

TEST(AsCompleted, StartsEmptyAndGrows) {
    auto completed = taskfarm::as_completed(std::vector<taskfarm::Future<int>>{});
    completed.add(test::client().submit(nap, 3));
    int yielded = 0;
    for (const auto& future : completed) yielded += future.get();
    EXPECT_EQ(yielded, 3);
}

TEST(AsCompleted, AnEmptyFutureIsRefusedAndTheLoopGoesOn) {
    auto completed = taskfarm::as_completed(std::vector{test::client().submit(nap, 2)});
    EXPECT_THROW(completed.add(taskfarm::Future<int>{}), taskfarm::UsageError);
    int yielded = 0;
    for (const auto& future : completed) yielded += future.get();
    EXPECT_EQ(yielded, 2) << "the refused future was not added";
}

TEST(AsCompleted, AFutureGivenTwiceIsYieldedTwice) {
    auto future = test::client().submit(nap, 4);
    int yielded = 0;
    for (const auto& each : taskfarm::as_completed(std::vector{future, future})) {
        EXPECT_EQ(each.id(), future.id());
        ++yielded;
    }
    EXPECT_EQ(yielded, 2) << "as dask: once per time it is given";
}

}  // namespace
