#pragma once
// Reproducible random streams: one stream per (base seed, index), whatever runs it.
//
// random_stream(seed, i) is a std::uniform_random_bit_generator whose values depend on the
// two numbers only: not on the rank, the number of workers, the chunking of a map or
// inline mode. Give every unit of work (a trajectory, a sample, a block) its own index and
// its draws are the same in every layout. Why this generator: docs/design.md, "Random streams".

#include <array>
#include <cstdint>
#include <limits>

namespace taskfarm {

namespace detail {

// The high and low 64 bits of a * b.
struct HiLo {
    std::uint64_t hi, lo;
};
constexpr HiLo multiply_hi_lo(std::uint64_t a, std::uint64_t b) noexcept {
#if defined(__SIZEOF_INT128__)
    __extension__ using Wide = unsigned __int128;
    Wide product = Wide(a) * Wide(b);
    return {static_cast<std::uint64_t>(product >> 64), static_cast<std::uint64_t>(product)};
#else
    // Schoolbook multiplication on 32-bit halves.
    std::uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
    std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    std::uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
    return {hi_hi + (hi_lo >> 32) + (middle >> 32), (middle << 32) | (lo_lo & 0xffffffffu)};
#endif
}

using PhiloxCounter = std::array<std::uint64_t, 4>;
using PhiloxKey = std::array<std::uint64_t, 2>;

// Philox4x64-10, written from its description in J. K. Salmon, M. A. Moraes, R. O. Dror and
// D. E. Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC11, 2011): a keyed bijection
// of 256-bit counters. Each of the 10 rounds multiplies two of the four words by the
// constants M0 and M1, and crosses the high halves with the other two words and the round
// key; the key is bumped by the Weyl constants W0 (golden ratio) and W1 (sqrt(3) - 1)
// between rounds. tests/unit/test_blocks_random.cpp checks it against the paper's
// known-answer vectors.
constexpr PhiloxCounter philox4x64_10(PhiloxCounter x, PhiloxKey key) noexcept {
    constexpr std::uint64_t M0 = 0xD2E7470EE14C6C93u, M1 = 0xCA5A826395121157u;
    constexpr std::uint64_t W0 = 0x9E3779B97F4A7C15u, W1 = 0xBB67AE8584CAA73Bu;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key[0] += W0;
            key[1] += W1;
        }
        HiLo a = multiply_hi_lo(M0, x[0]);
        HiLo b = multiply_hi_lo(M1, x[2]);
        x = {b.hi ^ x[1] ^ key[0], b.lo, a.hi ^ x[3] ^ key[1], a.lo};
    }
    return x;
}

}  // namespace detail

// A stream of 64-bit random values: Philox4x64-10 keyed by (base seed, index), its counter
// (n, 0, 0, 0) giving values 4n .. 4n + 3. A stream is 2^66 values long before it repeats.
// Trivially copyable: it travels to a task as its bytes, mid-sequence included, and goes
// on from where it was. Use it with <random>'s distributions, or take the top 53 bits of a
// value for a double in [0, 1) that is the same with every standard library.
class RandomStream {
public:
    using result_type = std::uint64_t;

    // The stream random_stream(0, 0); there so that a stream can be read back into one.
    RandomStream() = default;

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    result_type operator()() noexcept {
        if (used_ == values_.size()) {
            values_ = detail::philox4x64_10({counter_++, 0, 0, 0}, key_);
            used_ = 0;
        }
        return values_[used_++];
    }

    // Equal streams give the same values from here on.
    friend bool operator==(const RandomStream&, const RandomStream&) = default;

private:
    friend constexpr RandomStream random_stream(std::uint64_t base_seed, std::uint64_t index) noexcept;
    constexpr RandomStream(std::uint64_t base_seed, std::uint64_t index) noexcept : key_{base_seed, index} {}

    detail::PhiloxKey key_{};
    std::uint64_t counter_ = 0;    // the next block to compute
    detail::PhiloxCounter values_{};  // the current block
    std::uint64_t used_ = 4;       // values of it already returned
};

// The stream for unit of work `index` of a computation seeded with `base_seed`. Its values
// depend on these two numbers only; streams of different (base_seed, index) pairs are
// statistically independent (the property Philox was designed and tested for).
constexpr RandomStream random_stream(std::uint64_t base_seed, std::uint64_t index) noexcept {
    return RandomStream(base_seed, index);
}

}  // namespace taskfarm
