// Large maps travel in chunks; every element must still behave as a task of its own.
#include "farm.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <ranges>
#include <set>

namespace {

constexpr int large = 20000;  // above the size where maps start to chunk

int reject_multiples_of_1000(int x) {
    if (x % 1000 == 999) throw std::domain_error("rejected " + std::to_string(x));
    return x;
}

struct Offset {
    int by = 0;
    int operator()(int x) const { return x + by; }
    template <class Archive>
    void serialize(Archive& archive) { archive(by); }
};

TEST(Chunks, EveryElementHasItsOwnResultAndId) {
    auto futures = test::client().map([](int x) { return 2 * x; }, std::views::iota(0, large));
    ASSERT_EQ(futures.size(), static_cast<std::size_t>(large));
    std::set<std::uint64_t> ids;
    for (const auto& future : futures) ids.insert(future.id());
    EXPECT_EQ(ids.size(), futures.size());
    auto results = test::client().gather(futures);
    for (int i = 0; i < large; ++i) ASSERT_EQ(results[i], 2 * i);
}

TEST(Chunks, AnElementsExceptionFailsOnlyThatElement) {
    auto futures = test::client().map(reject_multiples_of_1000, std::views::iota(0, large));
    EXPECT_THROW(test::client().gather(futures), taskfarm::TaskError);
    auto kept = test::client().gather(futures, taskfarm::OnError::skip);
    EXPECT_EQ(kept.size(), static_cast<std::size_t>(large - large / 1000));
    try {
        futures[1999].get();
        FAIL() << "element 1999 should have failed";
    } catch (const taskfarm::TaskError& error) {
        EXPECT_EQ(error.type_name(), "std::domain_error");
        EXPECT_EQ(error.message(), "rejected 1999");
        EXPECT_EQ(error.task(), futures[1999].id());
    }
    EXPECT_EQ(futures[2000].get(), 2000);
}

TEST(Chunks, CancellingOneElementLeavesTheOthers) {
    auto futures = test::client().map([](int x) { return x; }, std::views::iota(0, large));
    futures[7].cancel();
    EXPECT_TRUE(futures[7].ready());
    EXPECT_THROW(futures[7].get(), taskfarm::CancelledError);
    EXPECT_EQ(futures[8].get(), 8);
    EXPECT_EQ(test::client().gather(futures, taskfarm::OnError::skip).size(), static_cast<std::size_t>(large - 1));
}

TEST(Chunks, AsCompletedYieldsEveryElementOnce) {
    auto futures = test::client().map([](int x) { return x; }, std::views::iota(0, large));
    futures[3].cancel();
    std::set<std::uint64_t> seen;
    long sum = 0;
    for (const auto& future : taskfarm::as_completed(futures)) {
        ASSERT_TRUE(future.ready());
        ASSERT_TRUE(seen.insert(future.id()).second);
        if (future.id() != futures[3].id()) sum += future.get();
    }
    EXPECT_EQ(seen.size(), futures.size());
    EXPECT_EQ(sum, long(large) * (large - 1) / 2 - 3);
}

TEST(Chunks, StatefulFunctionObjectsAndZippedRanges) {
    auto shifted = test::client().gather(test::client().map(Offset{5}, std::views::iota(0, large)));
    EXPECT_EQ(shifted.back(), large - 1 + 5);
    std::vector<int> a(large, 1), b(large + 10, 2);
    auto sums = test::client().gather(test::client().map([](int x, int y) { return x + y; }, a, b));
    ASSERT_EQ(sums.size(), static_cast<std::size_t>(large));
    EXPECT_EQ(std::accumulate(sums.begin(), sums.end(), 0L), 3L * large);
}

TEST(Chunks, DroppedChunkedMapsAreReleasedAndTheFarmGoesOn) {
    for (int round = 0; round < 3; ++round) {
        auto futures = test::client().map([](int x) { return std::vector<int>(64, x); }, std::views::iota(0, large));
        futures[large / 2].wait();
    }
    EXPECT_EQ(test::client().submit([](int x) { return x + 1; }, 41).get(), 42);
}

TEST(Chunks, VoidElements) {
    auto futures = test::client().map([](int x) { if (x == 12345) throw std::runtime_error("no"); }, std::views::iota(0, large));
    EXPECT_THROW(test::client().gather(futures), taskfarm::TaskError);
    EXPECT_NO_THROW(futures[12344].get());
    EXPECT_THROW(futures[12345].get(), taskfarm::TaskError);
}

}  // namespace
