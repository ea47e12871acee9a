// Maps too large to hold (issue 13, item 5): imap and imap_unordered read their inputs
// lazily and keep a bounded number of elements in flight. Run inline, in the local farm and
// under mpirun (tests/CMakeLists.txt).
#include "farm.hpp"
#include "unreadable.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <ranges>
#include <stdexcept>
#include <vector>

namespace {

long square(long x) { return x * x; }
int fail_on_odd(int i) {
    if (i % 2 == 1) throw std::out_of_range("odd " + std::to_string(i));
    return i;
}
int add(int a, int b) { return a + b; }

TEST(LazyMaps, ImapYieldsEveryResultInInputOrder) {
    // 50 000 elements: chunked under a farm (Client::map_chunk), one task each inline.
    long expected = 0;
    for (long result : test::client().imap(square, std::views::iota(0L, 50'000L))) {
        ASSERT_EQ(result, expected * expected);
        ++expected;
    }
    EXPECT_EQ(expected, 50'000);
}

TEST(LazyMaps, ImapUnorderedYieldsEveryResultOnce) {
    std::vector<long> seen;
    for (long result : test::client().imap_unordered(square, std::views::iota(0L, 30'000L))) seen.push_back(result);
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), 30'000u);
    for (long i = 0; i < 30'000; ++i) ASSERT_EQ(seen[std::size_t(i)], i * i);
}

TEST(LazyMaps, InputsAreTakenOnlyAsResultsAreRead) {
    for (bool ordered : {true, false}) {
        long taken = 0;
        auto counted = std::views::iota(0L, 1'000'000L) | std::views::transform([&taken](long i) {
                           ++taken;
                           return i;
                       });
        auto results = ordered ? test::client().imap(square, counted, 16) : test::client().imap_unordered(square, counted, 16);
        EXPECT_EQ(taken, 0) << "nothing is submitted before the loop starts";
        long read = 0;
        for (long result : results) {
            (void)result;
            EXPECT_LE(taken, read + 16) << "more than 16 elements in flight, after " << read << " were read";
            if (++read == 200) break;
        }
        EXPECT_EQ(read, 200);
        EXPECT_LT(taken, 1000) << (ordered ? "imap" : "imap_unordered");
    }
}

TEST(LazyMaps, AnEndlessInputIsFine) {
    long sum = 0, read = 0;
    for (long result : test::client().imap(square, std::views::iota(0L))) {  // unbounded
        sum += result;
        if (++read == 100) break;
    }
    EXPECT_EQ(sum, 328'350);  // 0² + ... + 99²
}

TEST(LazyMaps, AFailedElementThrowsWhenReachedAndTheRestGoOn) {
    std::vector<int> values;
    int failures = 0;
    auto results = test::client().imap(fail_on_odd, std::views::iota(0, 10));
    for (auto it = results.begin(); it != results.end(); ++it) {
        try {
            values.push_back(*it);
        } catch (const taskfarm::TaskError& e) {
            ++failures;
            EXPECT_EQ(e.message(), "odd " + std::to_string(2 * failures - 1));
        }
    }
    EXPECT_EQ(values, (std::vector<int>{0, 2, 4, 6, 8}));
    EXPECT_EQ(failures, 5);
}

TEST(LazyMaps, SkipLeavesFailedElementsOut) {
    std::vector<int> ordered, unordered;
    for (int v : test::client().imap(fail_on_odd, std::views::iota(0, 21), taskfarm::OnError::skip)) ordered.push_back(v);
    for (int v : test::client().imap_unordered(fail_on_odd, std::views::iota(0, 21), taskfarm::OnError::skip))
        unordered.push_back(v);
    std::sort(unordered.begin(), unordered.end());
    std::vector<int> evens{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20};
    EXPECT_EQ(ordered, evens);
    EXPECT_EQ(unordered, evens);
}

test::Unreadable read_back(int value) { return test::Unreadable{value}; }

TEST(LazyMaps, SkipLeavesOutResultsThatDoNotDecodeToo) {
    std::vector<int> got;
    for (const test::Unreadable& f : test::client().imap(read_back, std::vector<int>{1, -2, 3}, taskfarm::OnError::skip))
        got.push_back(f.value);
    EXPECT_EQ(got, (std::vector<int>{1, 3}));
}

TEST(LazyMaps, AnInputThatThrowsEndsTheMapAndWhatWasInFlightIsStillYielded) {
    auto inputs = std::views::iota(0L, 100L) | std::views::transform([](long i) {
                      if (i == 50) throw std::length_error("input 50 is unreadable");
                      return i;
                  });
    std::vector<long> got;
    bool thrown = false;
    auto results = test::client().imap(square, inputs, 8);
    auto it = results.begin();
    while (it != results.end()) {
        got.push_back(*it);
        try {
            ++it;
        } catch (const std::length_error&) {
            thrown = true;
        }
    }
    EXPECT_TRUE(thrown);
    ASSERT_FALSE(got.empty());
    ASSERT_LE(got.size(), 50u);
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], long(i * i)) << "nothing skipped, in order";
    EXPECT_GE(got.size(), 42u) << "the elements submitted before the throw are yielded";
}

TEST(LazyMaps, OwnsTemporariesZipsAndTakesSettingsInAnyOrder) {
    // The vectors are temporaries: the range keeps them alive while it is read.
    auto sums = test::client().imap(add, std::vector<int>{1, 2, 3, 4}, std::vector<int>{10, 20, 30},
                                    taskfarm::OnError::skip, 2, taskfarm::TaskOptions{});
    std::vector<int> got;
    for (int v : sums) got.push_back(v);
    EXPECT_EQ(got, (std::vector<int>{11, 22, 33}));
    EXPECT_THROW((void)test::client().imap(add, std::vector<int>{1}, std::vector<int>{1}, 0), taskfarm::UsageError);
}

TEST(LazyMaps, LeavingTheLoopEarlyLeavesTheFarmWorking) {
    {
        auto results = test::client().imap(square, std::views::iota(0L, 100'000L), 64);
        EXPECT_EQ(*results.begin(), 0);
    }  // dropped with up to 64 elements in flight: their Futures go, as any dropped Future's
    EXPECT_EQ(test::client().submit(square, 12L).get(), 144);
}

}  // namespace
