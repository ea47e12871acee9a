#include "element_timing.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace taskfarm::detail {
namespace {

using Clock = ElementTiming::Clock;
std::int64_t now_ns() { return Clock::now().time_since_epoch().count(); }

// Remembers what the hook inside the timing was told.
struct Recorder final : ElementHook {
    std::vector<std::pair<std::uint32_t, bool>> calls;  // (index, false) at begin, (0, threw) at end
    void begin(std::uint32_t index) override { calls.push_back({index, false}); }
    void end(bool threw) noexcept override { calls.push_back({0, threw}); }
};

// With the time-stamp counter (x86-64) and with the steady clock: each run's end is on the
// steady clock, within the chunk's run, in order, and as far apart as the runs took.
class ElementTimingIn : public testing::TestWithParam<bool> {};

TEST_P(ElementTimingIn, EachRunEndsOnTheSteadyClockInOrderAndAsLongAsItTook) {
    std::vector<ElementRun> runs{{9, 1, true, 1}};  // an earlier chunk's: left as it is
    Recorder inner;
    auto before = now_ns();
    ElementTiming timing(runs, &inner, GetParam());
    constexpr int elements = 50;
    for (std::uint32_t i = 0; i < elements; ++i) {
        for (int run = 0; run < (i == 5 ? 2 : 1); ++run) {  // element 5 fails once and runs again
            timing.begin(i);
            auto until = now_ns() + 20'000;  // 20 µs of work
            while (now_ns() < until) {
            }
            timing.end(i == 5 && run == 0);
        }
    }
    timing.finish();
    auto after = now_ns();
    ASSERT_EQ(runs.size(), 1u + elements + 1);
    EXPECT_EQ(runs[0], (ElementRun{9, 1, true, 1}));
    EXPECT_EQ(runs[6], (ElementRun{5, 1, false, runs[6].end_ns}));
    EXPECT_EQ(runs[7], (ElementRun{5, 2, true, runs[7].end_ns}));
    EXPECT_EQ(runs[8].index, 6u);
    EXPECT_EQ(runs[8].run, 1u);
    for (std::size_t i = 1; i < runs.size(); ++i) {
        EXPECT_GE(runs[i].end_ns, before) << i;
        EXPECT_LE(runs[i].end_ns, after) << i;
        if (i > 1) {
            EXPECT_GE(runs[i].end_ns - runs[i - 1].end_ns, 19'000) << "a run of 20 µs, at " << i;
        }
    }
    EXPECT_GE(runs.back().end_ns - before, std::int64_t(elements + 1) * 20'000);
    EXPECT_EQ(inner.calls.size(), 2u * (elements + 1)) << "the hook inside is called around every run";
    EXPECT_EQ(inner.calls[10], (std::pair<std::uint32_t, bool>{5, false}));
    EXPECT_EQ(inner.calls[11], (std::pair<std::uint32_t, bool>{0, true}));
}

#if defined(__x86_64__)
INSTANTIATE_TEST_SUITE_P(CounterAndClock, ElementTimingIn, testing::Values(true, false));
#else
INSTANTIATE_TEST_SUITE_P(Clock, ElementTimingIn, testing::Values(false));
#endif

TEST(ElementTiming, TheCounterStandsInOnlyWhereTheKernelsClockIsIt) {
    std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string name;
    source >> name;
#if defined(__x86_64__)
    EXPECT_EQ(ElementTiming::ticks_follow_the_steady_clock(), name == "tsc") << name;
#else
    EXPECT_FALSE(ElementTiming::ticks_follow_the_steady_clock());
#endif
}

}  // namespace
}  // namespace taskfarm::detail
