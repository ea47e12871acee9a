#pragma once
// Times each run of each element of a map's chunk for the trace (Options::trace): one reading
// as each run ends (ElementRun says why one is enough). An element may take well under a
// microsecond and a clock read 20-50 ns, which alone made a traced W1 some 8 % slower. So
// where the kernel's own steady clock is the CPU's time-stamp counter (x86-64 with
// clocksource tsc: the counter runs at one rate on every core), the counter is read instead,
// a few ns, and its ticks are moved onto the steady clock when the chunk's run is over, in
// proportion between two readings of both, at the run's start and at its end. Elsewhere the
// steady clock is read.

#include "trace_events.hpp"

#include <taskfarm/detail/registry.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

namespace taskfarm::detail {

class ElementTiming final : public ElementHook {
public:
    using Clock = std::chrono::steady_clock;
    // runs: where the runs go, in the order they end. inner: the hook that was there already
    // (task_output_dir's), called inside this one; may be null.
    ElementTiming(std::vector<ElementRun>& runs, ElementHook* inner, bool use_ticks = ticks_follow_the_steady_clock());
    void begin(std::uint32_t index) override;
    void end(bool threw) noexcept override;
    // The chunk's run is over: from here on each run's end_ns is on the steady clock.
    void finish();

    // Whether the time-stamp counter can stand in for the steady clock here (checked once).
    static bool ticks_follow_the_steady_clock();

private:
    static constexpr std::uint32_t max_run = (1u << 31) - 1;  // ElementRun::run's bits
    static std::int64_t ticks();
    std::int64_t now() const;

    std::vector<ElementRun>& runs_;
    ElementHook* inner_;
    bool use_ticks_;
    std::size_t first_ = 0;  // runs_ before this chunk's
    std::uint32_t index_ = 0;
    std::uint32_t run_ = 1;
    std::int64_t start_ns_ = 0, start_ticks_ = 0;
};

}  // namespace taskfarm::detail
