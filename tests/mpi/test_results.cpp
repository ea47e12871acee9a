// Results that stay on workers: large results are fetched from the worker that holds them.
#include "farm.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <ranges>

namespace {

std::vector<double> ramp(int n) {
    std::vector<double> values(static_cast<std::size_t>(n));
    std::iota(values.begin(), values.end(), 0.0);
    return values;
}

TEST(Results, LargeResultsAreFetchedFromTheirWorker) {
    constexpr int n = 1 << 20;  // 8 MiB, well over the inline limit
    auto future = test::client().submit(ramp, n);
    auto values = future.get();
    ASSERT_EQ(values.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(values[12345], 12345.0);
    EXPECT_EQ(future.get().back(), n - 1.0) << "a held result can be read again";
}

TEST(Results, GatherOfManyLargeResults) {
    auto futures = test::client().map(ramp, std::vector<int>(16, 100000));
    auto all = test::client().gather(futures);
    for (const auto& values : all) {
        ASSERT_EQ(values.size(), 100000u);
        EXPECT_EQ(values.back(), 99999.0);
    }
}

TEST(Results, DroppedFuturesFreeTheirResultsAndTheFarmGoesOn) {
    for (int round = 0; round < 5; ++round) {
        auto futures = test::client().map(ramp, std::vector<int>(8, 200000));
        futures.front().wait();
    }  // dropped unread: released on the workers, or cancelled before they ran
    EXPECT_EQ(test::client().submit(ramp, 3).get(), (std::vector<double>{0, 1, 2}));
}

}  // namespace
