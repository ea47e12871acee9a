// Task graphs (issue 14, items 1 and 3): Futures as arguments, results that go from the worker
// that made them to the worker that needs them, and failure and cancellation that flow along
// the graph. Run inline, in the local farm and under mpirun (tests/CMakeLists.txt).
#include "farm.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Cause = taskfarm::TaskError::Cause;

bool inline_mode() { return test::client().workers() == 0; }

int increment(int x) { return x + 1; }
int twice(const int& x) { return 2 * x; }
int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
long total(const std::vector<int>& values) { return std::accumulate(values.begin(), values.end(), 0L); }
double weighted(double weight, int value, const std::string& label, int offset) {
    return weight * value + offset + static_cast<double>(label.size());
}
int reject(int x) { throw std::invalid_argument("rejected " + std::to_string(x)); }
int late_reject(int x) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    throw std::invalid_argument("rejected late " + std::to_string(x));
}
int nap_then(int x) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return x;
}
int fail_on_odd(int i) {
    if (i % 2 == 1) throw std::out_of_range("odd " + std::to_string(i));
    return i;
}
std::vector<double> big_table(int n) { return std::vector<double>(static_cast<std::size_t>(n), 0.5); }
double sum_table(const std::vector<double>& table) { return std::accumulate(table.begin(), table.end(), 0.0); }

taskfarm::TaskError error_of(const taskfarm::Future<int>& future) {
    try {
        future.get();
    } catch (const taskfarm::TaskError& e) {
        return e;
    }
    ADD_FAILURE() << "task " << future.id() << " did not fail";
    return taskfarm::TaskError("none", "none", 0, "", 0);
}

TEST(Graphs, ADiamondGetsEachResultWhereItIsNeeded) {
    auto& client = test::client();
    auto top = client.submit(increment, 4);    // 5
    auto left = client.submit(twice, top);     // 10
    auto right = client.submit(square, top);   // 25
    auto bottom = client.submit(add, left, right);
    EXPECT_EQ(bottom.get(), 35);
    EXPECT_EQ(top.get(), 5) << "an input stays readable by the client";
}

TEST(Graphs, FuturesMixWithPlainArgumentsInAnyPosition) {
    auto& client = test::client();
    auto value = client.submit(increment, 9);  // 10
    auto result = client.submit(weighted, 1.5, value, std::string("four"), 3);
    EXPECT_DOUBLE_EQ(result.get(), 1.5 * 10 + 3 + 4);
    auto same_twice = client.submit(add, value, value);
    EXPECT_EQ(same_twice.get(), 20);
}

TEST(Graphs, AnInputWhoseFutureIsDroppedStillReachesItsTask) {
    auto& client = test::client();
    auto result = client.submit(twice, client.submit(increment, 20));  // the inner Future is gone at once
    EXPECT_EQ(result.get(), 42);
}

TEST(Graphs, AChainOfTenThousandDependentTasksFinishes) {
    auto& client = test::client();
    auto link = client.submit(increment, 0);
    for (int i = 1; i < 10'000; ++i) link = client.submit(increment, link);  // each earlier Future is dropped
    EXPECT_EQ(link.get(), 10'000);
}

TEST(Graphs, AThousandFuturesFanInToOneTask) {
    auto& client = test::client();
    std::vector<taskfarm::Future<int>> squares;
    for (int i = 0; i < 1000; ++i) squares.push_back(client.submit(square, i));
    auto sum = client.submit(total, squares);
    long expected = 0;
    for (long i = 0; i < 1000; ++i) expected += i * i;
    EXPECT_EQ(sum.get(), expected);
    EXPECT_EQ(client.submit(total, std::vector<taskfarm::Future<int>>{}).get(), 0) << "no futures: an empty vector";
}

TEST(Graphs, ElementsOfAChunkedMapAreInputsToo) {
    auto& client = test::client();
    auto squares = client.map(square, std::views::iota(0, 20'000));  // chunked on a farm
    auto one = client.submit(increment, squares[12'345]);
    EXPECT_EQ(one.get(), 12'345 * 12'345 + 1);
    std::vector<taskfarm::Future<int>> some(squares.begin() + 100, squares.begin() + 110);
    long expected = 0;
    for (long i = 100; i < 110; ++i) expected += i * i;
    EXPECT_EQ(client.submit(total, some).get(), expected);
}

TEST(Graphs, MapOverFuturesRunsATaskPerFuture) {
    auto& client = test::client();
    auto squares = client.map(square, std::views::iota(0, 50));
    auto doubled = client.map(twice, squares);
    ASSERT_EQ(doubled.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(doubled[std::size_t(i)].get(), 2 * i * i);
}

TEST(Graphs, ALargeResultGoesFromWorkerToWorker) {
    auto& client = test::client();
    auto table = client.submit(big_table, 1 << 18);  // 2 MiB: over the inline result limit, kept on its worker
    auto sum = client.submit(sum_table, table);
    EXPECT_DOUBLE_EQ(sum.get(), 0.5 * (1 << 18));
}

TEST(Graphs, ATaskWhoseInputFailedFailsUnrunNamingTheInput) {
    auto& client = test::client();
    // The input still running when its dependents are submitted: they fail where they would run.
    auto root = client.submit(late_reject, 7);
    auto child = client.submit(twice, root);
    auto grandchild = client.submit(increment, child);
    auto error = error_of(child);
    EXPECT_EQ(error.cause(), Cause::dependency);
    EXPECT_EQ(error.task(), child.id());
    EXPECT_EQ(error.type_name(), "std::invalid_argument") << "the input's own error";
    EXPECT_NE(error.message().find("task " + std::to_string(root.id())), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("rejected late 7"), std::string::npos) << error.what();
    auto deeper = error_of(grandchild);
    EXPECT_EQ(deeper.cause(), Cause::dependency);
    EXPECT_NE(deeper.message().find("task " + std::to_string(root.id())), std::string::npos)
        << "a chain names its first failure: " << deeper.what();

    // The input known to have failed already: the dependent fails at once, the same way.
    auto failed = client.submit(reject, 3);
    failed.wait();
    auto late = client.submit(increment, failed);
    auto late_error = error_of(late);
    EXPECT_EQ(late_error.cause(), Cause::dependency);
    EXPECT_NE(late_error.message().find("rejected 3"), std::string::npos) << late_error.what();
}

TEST(Graphs, AFailedElementFailsTheTaskThatNeedsIt) {
    auto& client = test::client();
    auto values = client.map(fail_on_odd, std::views::iota(0, 20'000));
    auto fine = client.submit(increment, values[10]);
    auto broken = client.submit(increment, values[11]);
    EXPECT_EQ(fine.get(), 11);
    auto error = error_of(broken);
    EXPECT_EQ(error.cause(), Cause::dependency);
    EXPECT_NE(error.message().find("task " + std::to_string(values[11].id())), std::string::npos) << error.what();
    EXPECT_NE(error.message().find("odd 11"), std::string::npos) << error.what();
}

TEST(Graphs, CancellingAnInputCancelsTheTasksThatNeedIt) {
    auto& client = test::client();
    auto slow = client.submit(nap_then, 1);
    auto child = client.submit(increment, slow);
    auto grandchild = client.submit(twice, child);
    slow.cancel();
    if (inline_mode()) {  // inline, every task ran as it was submitted: nothing is left to cancel
        EXPECT_EQ(grandchild.get(), 4);
        return;
    }
    EXPECT_TRUE(child.cancelled());
    EXPECT_TRUE(grandchild.cancelled());
    EXPECT_THROW(grandchild.get(), taskfarm::CancelledError);
    // What needs a cancelled future is cancelled at once.
    auto after = client.submit(increment, slow);
    EXPECT_TRUE(after.cancelled());
    // The farm goes on.
    EXPECT_EQ(client.submit(increment, client.submit(increment, 1)).get(), 3);
}

TEST(Graphs, CancellingAnElementCancelsWhatNeedsItAndLeavesItsChunkRunning) {
    auto& client = test::client();
    auto values = client.map(nap_then, std::views::iota(0, 3));  // a task each: small maps are not chunked
    auto squares = client.map(square, std::views::iota(0, 20'000));
    auto needs_element = client.submit(increment, squares[7]);
    auto needs_value = client.submit(increment, values[1]);
    squares[7].cancel();
    values[1].cancel();
    if (inline_mode()) {
        EXPECT_EQ(needs_element.get(), 50);
        return;
    }
    EXPECT_TRUE(needs_value.cancelled());
    EXPECT_TRUE(needs_element.cancelled() || needs_element.get() == 50)
        << "cancelled, unless the element had finished before the cancel (then it already ran)";
    EXPECT_EQ(squares[8].get(), 64) << "the chunk runs on for its other elements";
}

TEST(Graphs, DroppingADependentsFutureLeavesItsInputAlone) {
    auto& client = test::client();
    auto input = client.submit(nap_then, 5);
    { auto dropped = client.submit(increment, input); }  // cancelled: its input is not
    EXPECT_EQ(input.get(), 5);
    EXPECT_EQ(client.submit(twice, input).get(), 10);
}

TEST(Graphs, ScatteredAndBroadcastValuesAreOrdinaryFutures) {
    auto& client = test::client();
    std::vector<double> table(1000, 0.25);
    auto one = client.scatter(table);
    auto every = client.broadcast(table);
    EXPECT_EQ(one.get(), table);
    EXPECT_EQ(every.get(), table);
    std::vector<taskfarm::Future<double>> sums;
    for (int i = 0; i < 20; ++i) {
        sums.push_back(client.submit(sum_table, one));
        sums.push_back(client.submit(sum_table, every));
    }
    for (auto& sum : sums) EXPECT_DOUBLE_EQ(sum.get(), 250.0);
    auto doubled = client.submit(twice, client.broadcast(21));  // its Future dropped at once
    EXPECT_EQ(doubled.get(), 42);
}

}  // namespace
