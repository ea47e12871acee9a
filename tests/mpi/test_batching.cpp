// Tiny tasks are batched: a large map is far fewer MPI messages than tasks.
#include "client_core.hpp"
#include "farm.hpp"

#include <gtest/gtest.h>

#include <ranges>

namespace {

TEST(Batching, ALargeMapIsFarFewerFramesThanTasks) {
    auto& core = taskfarm::detail::ClientAccess::core(test::client());
    constexpr int tasks = 100000;
    auto before = core.frames_sent();
    auto futures = test::client().map([](int i) { return i % 7; }, std::views::iota(0, tasks));
    auto results = test::client().gather(futures);
    auto frames = core.frames_sent() - before;
    ASSERT_EQ(results.size(), static_cast<std::size_t>(tasks));
    EXPECT_EQ(results[12345], 12345 % 7);
    if (test::client().workers() > 0) {
        EXPECT_LT(frames, static_cast<std::size_t>(tasks / 10)) << frames << " frames for " << tasks << " tasks";
    }
    std::cout << "[ frames   ] " << frames << " frames from the client for " << tasks << " tasks\n";
}

}  // namespace
