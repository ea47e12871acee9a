// The local transport and the stop-signal policy, without MPI: the seams the local farm
// and the MPI farm share.
#include "local_transport.hpp"
#include "stop_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace taskfarm::detail {
namespace {

using namespace std::chrono_literals;

// What one endpoint received, for a test to wait on.
struct Received {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<int, Message>> messages;
    int frames = 0;

    Transport::Handler handler() {
        return [this](int source, Message&& message) {
            std::lock_guard lock(mutex);
            messages.emplace_back(source, std::move(message));
        };
    }
    std::function<void()> after_frame() {
        return [this] {
            std::lock_guard lock(mutex);
            ++frames;
            changed.notify_all();
        };
    }
    bool wait_for(std::size_t count) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 10s, [&] { return messages.size() >= count; });
    }
};

TEST(LocalTransport, MessagesArriveInOrderFromTheirSender) {
    auto hub = std::make_shared<LocalHub>(3);
    auto endpoints = hub->make_endpoints();
    Received at_two;
    endpoints[0]->start([](int, Message&&) {});
    endpoints[1]->start([](int, Message&&) {});
    endpoints[2]->start(at_two.handler(), at_two.after_frame());
    for (TaskId task = 1; task <= 100; ++task) endpoints[0]->post(2, Release{task});
    endpoints[1]->post(2, Drain{});
    ASSERT_TRUE(at_two.wait_for(101));
    TaskId expected = 1;
    int drains = 0;
    for (auto& [source, message] : at_two.messages) {
        if (source == 1) {
            EXPECT_TRUE(std::holds_alternative<Drain>(message));
            ++drains;
            continue;
        }
        EXPECT_EQ(source, 0);
        EXPECT_EQ(std::get<Release>(message).task, expected++);
    }
    EXPECT_EQ(drains, 1);
    for (auto& endpoint : endpoints) endpoint->finish();
    for (auto& endpoint : endpoints) endpoint->join();
    for (auto& endpoint : endpoints) EXPECT_TRUE(endpoint->ended_together());
}

TEST(LocalTransport, PostsBetweenTwoTurnsTravelAsOneFrame) {
    auto hub = std::make_shared<LocalHub>(2);
    auto endpoints = hub->make_endpoints();
    Received at_one;
    endpoints[0]->start([](int, Message&&) {});
    // Posted before the receiver's progress thread runs at all: one frame holds them all.
    for (TaskId task = 1; task <= 1000; ++task) endpoints[0]->post(1, Release{task});
    endpoints[1]->start(at_one.handler(), at_one.after_frame());
    ASSERT_TRUE(at_one.wait_for(1000));
    EXPECT_EQ(at_one.frames, 1);
    EXPECT_EQ(endpoints[0]->frames_sent(), 1u);
    for (auto& endpoint : endpoints) endpoint->finish();
}

TEST(LocalTransport, LargeResultsAreMovedNotCopied) {
    auto hub = std::make_shared<LocalHub>(2);
    auto endpoints = hub->make_endpoints();
    Received at_one;
    endpoints[0]->start([](int, Message&&) {});
    endpoints[1]->start(at_one.handler(), at_one.after_frame());
    Bytes big(10 * attachment_threshold, 'x');
    const char* where = big.data();
    endpoints[0]->post(1, Fetched{7, std::move(big)});
    ASSERT_TRUE(at_one.wait_for(1));
    auto& fetched = std::get<Fetched>(at_one.messages[0].second);
    EXPECT_EQ(fetched.payload.size(), 10 * attachment_threshold);
    EXPECT_EQ(fetched.payload.data(), where);  // the same buffer, handed over
    for (auto& endpoint : endpoints) endpoint->finish();
}

TEST(LocalTransport, NothingIsSentAfterFinishAndTheEndWaitsForEveryRank) {
    auto hub = std::make_shared<LocalHub>(2);
    auto endpoints = hub->make_endpoints();
    Received at_one;
    endpoints[0]->start([](int, Message&&) {});
    endpoints[1]->start(at_one.handler(), at_one.after_frame());
    endpoints[0]->finish();
    endpoints[0]->post(1, Drain{});  // dropped
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(endpoints[0]->ended_together());  // rank 1 has not finished
    endpoints[1]->finish();
    endpoints[0]->join();
    endpoints[1]->join();
    EXPECT_TRUE(endpoints[0]->ended_together());
    EXPECT_TRUE(at_one.messages.empty());
}

TEST(LocalTransport, TicksComeAboutEveryInterval) {
    auto hub = std::make_shared<LocalHub>(1);
    auto endpoints = hub->make_endpoints();
    std::atomic<int> ticks{0};
    endpoints[0]->every(5ms, [&](Transport::Clock::time_point) { ++ticks; });
    endpoints[0]->start([](int, Message&&) {});
    std::this_thread::sleep_for(200ms);
    endpoints[0]->finish();
    endpoints[0]->join();
    EXPECT_GE(ticks.load(), 10);   // an idle progress thread wakes for its ticks
    EXPECT_LE(ticks.load(), 41);   // and never more often than asked
}

TEST(StopPolicy, NoSignalCarriesOn) {
    StopPolicy policy;
    EXPECT_EQ(policy.on_turn(0, -1, StopPolicy::Clock::now()).step, StopPolicy::Step::carry_on);
    EXPECT_FALSE(policy.stopping());
}

TEST(StopPolicy, DrainsOnceThenLeavesAfterTheGrace) {
    StopPolicy policy;
    auto t0 = StopPolicy::Clock::now();
    auto first = policy.on_turn(15, -1, t0);  // SIGTERM
    EXPECT_EQ(first.step, StopPolicy::Step::drain);
    EXPECT_EQ(first.status, 143);
    EXPECT_NE(first.line.find("received SIGTERM"), std::string::npos);
    EXPECT_TRUE(policy.stopping());
    EXPECT_EQ(policy.on_turn(15, -1, t0 + StopPolicy::grace / 2).step, StopPolicy::Step::carry_on);
    auto later = policy.on_turn(15, -1, t0 + StopPolicy::grace + 1ms);
    EXPECT_EQ(later.step, StopPolicy::Step::leave);
    EXPECT_EQ(later.status, 143);
}

TEST(StopPolicy, AnotherRanksFailureIsLeftWithItsStatusAtOnce) {
    StopPolicy policy;
    auto decision = policy.on_turn(15, 6, StopPolicy::Clock::now());
    EXPECT_EQ(decision.step, StopPolicy::Step::leave);
    EXPECT_EQ(decision.status, 6);
    EXPECT_TRUE(decision.line.empty());  // quietly: the failing rank said why
}

}  // namespace
}  // namespace taskfarm::detail
