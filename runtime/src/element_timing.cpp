#include "element_timing.hpp"

#include <algorithm>
#include <fstream>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace taskfarm::detail {

bool ElementTiming::ticks_follow_the_steady_clock() {
#if defined(__x86_64__) && defined(__linux__)
    // The kernel makes CLOCK_MONOTONIC from the counter only when it found the counter
    // steady and the same on every core; else it has chosen another source.
    static const bool follows = [] {
        std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
        std::string name;
        return source >> name && name == "tsc";
    }();
    return follows;
#else
    return false;
#endif
}

std::int64_t ElementTiming::ticks() {
#if defined(__x86_64__)
    return static_cast<std::int64_t>(__rdtsc());
#else
    return 0;
#endif
}

ElementTiming::ElementTiming(std::vector<ElementRun>& runs, ElementHook* inner, bool use_ticks)
    : runs_(runs), inner_(inner), use_ticks_(use_ticks), first_(runs.size()) {
    if (use_ticks_) {
        start_ns_ = Clock::now().time_since_epoch().count();
        start_ticks_ = ticks();
    }
}

std::int64_t ElementTiming::now() const {
    return use_ticks_ ? ticks() : Clock::now().time_since_epoch().count();
}

void ElementTiming::begin(std::uint32_t index) {
    bool again = runs_.size() > first_ && runs_.back().index == index;
    run_ = again ? std::min<std::uint32_t>(runs_.back().run + 1u, max_run) : 1;
    index_ = index;
    if (inner_) inner_->begin(index);
}

void ElementTiming::end(bool threw) noexcept {
    auto end = now();
    if (inner_) inner_->end(threw);
    try {
        runs_.push_back({index_, run_ & max_run, !threw, end});
    } catch (...) {  // out of memory: the trace misses this run, the task does not fail
    }
}

void ElementTiming::finish() {
    if (!use_ticks_) return;
    auto end_ns = Clock::now().time_since_epoch().count();
    auto end_ticks = ticks();
    auto ticks_passed = end_ticks - start_ticks_;
    auto ns_passed = end_ns - start_ns_;
    for (auto run = runs_.begin() + std::ptrdiff_t(first_); run != runs_.end(); ++run) {
        auto ticks_in = std::clamp<std::int64_t>(run->end_ns - start_ticks_, 0, ticks_passed);
        run->end_ns = ticks_passed > 0
                          ? start_ns_ + std::int64_t((long double)(ticks_in) * (long double)(ns_passed) /
                                                     (long double)(ticks_passed))
                          : end_ns;
    }
    first_ = runs_.size();
}

}  // namespace taskfarm::detail
