// taskfarm::blocks (blocks.cpp) and taskfarm::random_stream (random.hpp), without a farm.
// blocks(n, 0), one block per worker, needs a running farm: the example_03_block_analysis_per_worker
// tests check it (examples/CMakeLists.txt).
#include <taskfarm/blocks.hpp>
#include <taskfarm/error.hpp>
#include <taskfarm/random.hpp>
#include <taskfarm/serialize.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using taskfarm::Block;
using taskfarm::RandomStream;

// ---------------------------------------------------------------- blocks

// Everything blocks() promises for (n_items, n_blocks > 0); "" when it holds.
std::string check_split(std::size_t n_items, std::size_t n_blocks) {
    auto split = taskfarm::blocks(n_items, n_blocks);
    auto where = " for blocks(" + std::to_string(n_items) + ", " + std::to_string(n_blocks) + ")";
    if (split.size() != std::min(n_items, n_blocks)) return "wrong number of blocks" + where;
    std::size_t next = 0;
    for (std::size_t i = 0; i < split.size(); ++i) {
        const Block& block = split[i];
        if (block.index != i) return "block " + std::to_string(i) + " has index " + std::to_string(block.index) + where;
        if (block.begin != next) return "a gap or an overlap before block " + std::to_string(i) + where;
        if (block.end <= block.begin) return "block " + std::to_string(i) + " is empty" + where;
        if (i > 0) {
            std::size_t previous = split[i - 1].end - split[i - 1].begin, size = block.end - block.begin;
            if (size > previous) return "a larger block after a smaller one at " + std::to_string(i) + where;
            if (previous - size > 1) return "sizes differ by more than one at " + std::to_string(i) + where;
        }
        next = block.end;
    }
    if (next != n_items) return "the blocks end at " + std::to_string(next) + where;
    return "";
}

TEST(Blocks, CoverEveryItemOnceInOrderWithSizesWithinOne) {
    for (std::size_t n_items = 1; n_items <= 200; ++n_items)
        for (std::size_t n_blocks = 1; n_blocks <= 250; ++n_blocks) ASSERT_EQ(check_split(n_items, n_blocks), "");
    for (std::size_t n_items : {1'000'003u, 999'999u, 1u << 20})
        for (std::size_t n_blocks : {7u, 64u, 1000u, 4096u}) ASSERT_EQ(check_split(n_items, n_blocks), "");
}

TEST(Blocks, TheLargerBlocksComeFirst) {
    auto split = taskfarm::blocks(10, 4);
    ASSERT_EQ(split.size(), 4u);
    std::vector<std::size_t> bounds;
    for (const auto& block : split) bounds.insert(bounds.end(), {block.index, block.begin, block.end});
    EXPECT_EQ(bounds, (std::vector<std::size_t>{0, 0, 3, 1, 3, 6, 2, 6, 8, 3, 8, 10}));
}

TEST(Blocks, MoreBlocksThanItemsGivesOneBlockPerItem) {
    auto split = taskfarm::blocks(5, 100);
    ASSERT_EQ(split.size(), 5u);
    for (std::size_t i = 0; i < split.size(); ++i) {
        EXPECT_EQ(split[i].begin, i);
        EXPECT_EQ(split[i].end, i + 1);
    }
}

TEST(Blocks, NoItemsGiveNoBlocks) {
    EXPECT_TRUE(taskfarm::blocks(0, 1).empty());
    EXPECT_TRUE(taskfarm::blocks(0, 16).empty());
}

TEST(Blocks, OneBlockIsEverything) {
    auto split = taskfarm::blocks(12345, 1);
    ASSERT_EQ(split.size(), 1u);
    EXPECT_EQ(split[0].begin, 0u);
    EXPECT_EQ(split[0].end, 12345u);
}

TEST(Blocks, TheLargestRangeDoesNotOverflow) {
    constexpr auto n = std::numeric_limits<std::size_t>::max();
    auto split = taskfarm::blocks(n, 7);
    ASSERT_EQ(split.size(), 7u);
    EXPECT_EQ(split.back().end, n);
    EXPECT_EQ(check_split(n, 7), "");
}

// One per worker needs a farm; in a process with none, blocks(n, 0) says so, even for n = 0.
TEST(Blocks, OnePerWorkerOutsideAFarmIsAUsageError) {
    EXPECT_THROW(taskfarm::blocks(100, 0), taskfarm::UsageError);
    EXPECT_THROW(taskfarm::blocks(0, 0), taskfarm::UsageError);
}

static_assert(taskfarm::serializable<Block>);

TEST(Blocks, ABlockTravelsAsItIs) {
    Block block{3, 30, 41};
    auto back = taskfarm::detail::from_bytes<Block>(taskfarm::detail::to_bytes(block));
    EXPECT_EQ(back.index, 3u);
    EXPECT_EQ(back.begin, 30u);
    EXPECT_EQ(back.end, 41u);
}

// ---------------------------------------------------------------- random streams

static_assert(std::uniform_random_bit_generator<RandomStream>);
static_assert(std::same_as<RandomStream::result_type, std::uint64_t>);
static_assert(RandomStream::min() == 0 && RandomStream::max() == ~std::uint64_t{0});
static_assert(std::is_trivially_copyable_v<RandomStream>);
static_assert(taskfarm::serializable<RandomStream>);

// The known-answer vectors of Philox4x64-10 published with the algorithm (Salmon et al.,
// SC11; Random123's kat_vectors): counter, key -> output.
using taskfarm::detail::philox4x64_10;
constexpr std::uint64_t ones = ~std::uint64_t{0};
static_assert(philox4x64_10({0, 0, 0, 0}, {0, 0}) ==
              taskfarm::detail::PhiloxCounter{0x16554d9eca36314c, 0xdb20fe9d672d0fdc, 0xd7e772cee186176b, 0x7e68b68aec7ba23b});
static_assert(philox4x64_10({ones, ones, ones, ones}, {ones, ones}) ==
              taskfarm::detail::PhiloxCounter{0x87b092c3013fe90b, 0x438c3c67be8d0224, 0x9cc7d7c69cd777b6, 0xa09caebf594f0ba0});
static_assert(philox4x64_10({0x243f6a8885a308d3, 0x13198a2e03707344, 0xa4093822299f31d0, 0x082efa98ec4e6c89},
                            {0x452821e638d01377, 0xbe5466cf34e90c6c}) ==
              taskfarm::detail::PhiloxCounter{0xa528f45403e61d95, 0x38c72dbd566e9788, 0xa5a1610e72fd18b5, 0x57bd43b5e52b7fe6});

TEST(RandomStream, PhiloxMatchesItsKnownAnswersAtRunTime) {
    // The same vectors through the run-time path (the static_asserts use the constexpr one).
    volatile std::uint64_t zero = 0;
    auto out = philox4x64_10({zero, zero, zero, zero}, {zero, zero});
    EXPECT_EQ(out[0], 0x16554d9eca36314cu);
    EXPECT_EQ(out[3], 0x7e68b68aec7ba23bu);
    out = philox4x64_10({0x243f6a8885a308d3, 0x13198a2e03707344, 0xa4093822299f31d0, 0x082efa98ec4e6c89 + zero},
                        {0x452821e638d01377, 0xbe5466cf34e90c6c});
    EXPECT_EQ(out[0], 0xa528f45403e61d95u);
    EXPECT_EQ(out[3], 0x57bd43b5e52b7fe6u);
}

// The layout is part of every user's results: value 4n + j of stream (seed, index) is word j
// of Philox4x64-10 at counter (n, 0, 0, 0) and key (seed, index). Changing it changes every
// number a user ever drew, so this pins it.
TEST(RandomStream, ValuesAreThePhiloxBlocksOfItsCounterUnderItsKey) {
    auto stream = taskfarm::random_stream(2024, 7);
    for (std::uint64_t block = 0; block < 3; ++block) {
        auto expected = philox4x64_10({block, 0, 0, 0}, {2024, 7});
        for (auto value : expected) EXPECT_EQ(stream(), value);
    }
    auto zero = taskfarm::random_stream(0, 0);
    EXPECT_EQ(zero(), 0x16554d9eca36314cu);
    EXPECT_EQ(RandomStream{}, taskfarm::random_stream(0, 0));
}

std::vector<std::uint64_t> first_values(RandomStream stream, std::size_t n) {
    std::vector<std::uint64_t> values(n);
    for (auto& value : values) value = stream();
    return values;
}

TEST(RandomStream, TheSameSeedAndIndexGiveTheSameSequence) {
    EXPECT_EQ(first_values(taskfarm::random_stream(42, 1000), 1000), first_values(taskfarm::random_stream(42, 1000), 1000));
    // A copy made mid-sequence, or one that went through a task's bytes, goes on identically.
    auto stream = taskfarm::random_stream(42, 1000);
    for (int i = 0; i < 5; ++i) stream();
    auto copy = stream;
    auto shipped = taskfarm::detail::from_bytes<RandomStream>(taskfarm::detail::to_bytes(stream));
    EXPECT_EQ(shipped, stream);
    auto rest = first_values(stream, 100);
    EXPECT_EQ(first_values(copy, 100), rest);
    EXPECT_EQ(first_values(shipped, 100), rest);
    // ... and is the tail of the original sequence.
    auto whole = first_values(taskfarm::random_stream(42, 1000), 105);
    EXPECT_EQ(std::vector<std::uint64_t>(whole.begin() + 5, whole.end()), rest);
}

TEST(RandomStream, TenThousandStreamsStartWithDistinctValues) {
    std::set<std::uint64_t> seen;
    for (std::uint64_t index = 0; index < 10'000; ++index) seen.insert(taskfarm::random_stream(2024, index)());
    EXPECT_EQ(seen.size(), 10'000u);
}

TEST(RandomStream, DifferentBaseSeedsGiveDifferentStreams) {
    for (std::uint64_t index : {0u, 1u, 12345u}) {
        auto a = first_values(taskfarm::random_stream(1, index), 64);
        auto b = first_values(taskfarm::random_stream(2, index), 64);
        auto c = first_values(taskfarm::random_stream(index, 1), 64);  // the two numbers are not interchangeable
        for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NE(a[i], b[i]) << "value " << i << " of index " << index;
        if (index != 1) {
            EXPECT_NE(a, c);
        }
    }
    std::set<std::uint64_t> seen;
    for (std::uint64_t seed = 0; seed < 10'000; ++seed) seen.insert(taskfarm::random_stream(seed, 0)());
    EXPECT_EQ(seen.size(), 10'000u);
}

// Pearson's chi-square statistic of values put into 64 buckets by `bucket` (0..63).
template <class Bucket>
double chi_square_64(const std::vector<std::uint64_t>& values, Bucket bucket) {
    std::vector<double> counts(64, 0.0);
    for (auto value : values) counts[bucket(value)] += 1;
    double expected = double(values.size()) / 64, statistic = 0;
    for (double count : counts) statistic += (count - expected) * (count - expected) / expected;
    return statistic;
}

// For 63 degrees of freedom a uniform source lands outside [23, 132] with probability under
// 10^-6 on either side (Wilson-Hilferty). Too good a fit fails too: the low bits of a counter
// are perfectly even.
void expect_uniform(const std::vector<std::uint64_t>& values, const char* what) {
    auto top = chi_square_64(values, [](std::uint64_t v) { return v >> 58; });
    auto low = chi_square_64(values, [](std::uint64_t v) { return v & 63; });
    auto middle = chi_square_64(values, [](std::uint64_t v) { return (v >> 29) & 63; });
    for (auto [statistic, bits] : {std::pair{top, "top"}, std::pair{low, "low"}, std::pair{middle, "middle"}}) {
        EXPECT_GT(statistic, 23.0) << what << ", " << bits << " 6 bits: chi-square " << statistic;
        EXPECT_LT(statistic, 132.0) << what << ", " << bits << " 6 bits: chi-square " << statistic;
    }
}

TEST(RandomStream, FirstValuesOfManyStreamsAreUniform) {
    std::vector<std::uint64_t> values;
    for (std::uint64_t index = 0; index < 10'000; ++index) values.push_back(taskfarm::random_stream(2024, index)());
    expect_uniform(values, "first values of 10^4 streams");
    values.clear();
    for (std::uint64_t seed = 0; seed < 10'000; ++seed) values.push_back(taskfarm::random_stream(seed, 3)());
    expect_uniform(values, "first values of 10^4 base seeds");
}

TEST(RandomStream, OneLongStreamIsUniform) {
    expect_uniform(first_values(taskfarm::random_stream(2024, 0), 100'000), "10^5 values of one stream");
}

// Neighbouring streams are unrelated: the first values of streams i and i + 1 (and of seeds
// s and s with one bit flipped) differ in 32 of 64 bits on average, as independent values do
// (standard deviation of the mean over 10^4 pairs: 0.04 bits).
TEST(RandomStream, NeighbouringStreamsDifferInHalfTheirBits) {
    double index_bits = 0, seed_bits = 0;
    constexpr int pairs = 10'000;
    for (std::uint64_t i = 0; i < pairs; ++i) {
        index_bits += std::popcount(taskfarm::random_stream(7, i)() ^ taskfarm::random_stream(7, i + 1)());
        seed_bits += std::popcount(taskfarm::random_stream(i, 9)() ^ taskfarm::random_stream(i ^ (std::uint64_t{1} << (i % 64)), 9)());
    }
    EXPECT_NEAR(index_bits / pairs, 32.0, 0.3);
    EXPECT_NEAR(seed_bits / pairs, 32.0, 0.3);
}

TEST(RandomStream, WorksWithTheStandardDistributions) {
    auto stream = taskfarm::random_stream(1, 2);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    double sum = 0;
    for (int i = 0; i < 10'000; ++i) sum += uniform(stream);
    EXPECT_NEAR(sum / 10'000, 0.5, 0.02);
}

}  // namespace
