#include "transport.hpp"

#include "ending.hpp"
#include "log.hpp"
#include "signals.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace taskfarm::detail {

std::chrono::microseconds Transport::idle_step(unsigned rounds) {
    constexpr auto first_sleep = std::chrono::microseconds(20);
    constexpr auto max_sleep = std::chrono::microseconds(10'000);
    if (rounds < idle_spin_rounds) return {};
    if (rounds < idle_yield_rounds) {
        std::this_thread::yield();
        return {};
    }
    auto doublings = std::min<unsigned>((rounds - idle_yield_rounds) / 8, 10);
    return std::min<std::chrono::microseconds>(first_sleep * (1u << doublings), max_sleep);
}

Transport::Clock::time_point Transport::turn_hooks(const std::function<void()>& read_arrivals, unsigned idle_rounds) {
    // A busy or spinning loop turns every few hundred nanoseconds: the clock (a good part of
    // such a turn) is read on every 16th of those, and on every turn after a sleep.
    int signal = stop_signal();
    bool read_clock = signal != 0 || idle_rounds >= idle_yield_rounds || (++turns_ & 15u) == 0;
    if (!read_clock) return tick_ ? next_tick_ : Clock::time_point::max();
    auto now = Clock::now();
    if (tick_) {
        if (next_tick_ == Clock::time_point{}) next_tick_ = now + tick_interval_;
        if (now >= next_tick_) {
            next_tick_ = now + tick_interval_;
            tick_(now);
        }
    }
    if (signal) {
        if (!stop_policy_.stopping()) read_arrivals();
        auto decision = stop_policy_.on_turn(signal, job_failed_status(), now);
        if (decision.step == StopPolicy::Step::drain) {
            log_line(decision.line);
            if (on_stop_signal_) on_stop_signal_();
        } else if (decision.step == StopPolicy::Step::leave) {
            if (on_leave_) on_leave_();
            std::fflush(nullptr);
            std::_Exit(decision.status);
        }
    }
    return tick_ ? next_tick_ : Clock::time_point::max();
}

}  // namespace taskfarm::detail
