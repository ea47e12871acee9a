#include <taskfarm/serialize.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <complex>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <stack>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <valarray>

namespace {

struct Plain {  // trivially copyable, no serialize: travels as bytes
    int a;
    double b;
    bool operator==(const Plain&) const = default;
};

struct WithCereal {
    std::string name;
    std::vector<int> values;
    template <class Archive>
    void serialize(Archive& archive) { archive(name, values); }
    bool operator==(const WithCereal&) const = default;
};

struct NotSerializable {
    std::string* owner;
    std::string text;
};

static_assert(taskfarm::serializable<int>);
static_assert(taskfarm::serializable<Plain>);
static_assert(taskfarm::serializable<WithCereal>);
static_assert(taskfarm::serializable<std::map<std::string, std::vector<double>>>);
static_assert(!taskfarm::serializable<NotSerializable>);
static_assert(!taskfarm::serializable<int*>);

template <class T>
T round_trip(const T& value) {
    return taskfarm::detail::from_bytes<T>(taskfarm::detail::to_bytes(value));
}

TEST(Serialize, ValuesRoundTrip) {
    EXPECT_EQ(round_trip(42), 42);
    EXPECT_EQ(round_trip(std::string("hello")), "hello");
    EXPECT_EQ(round_trip(Plain{3, 2.5}), (Plain{3, 2.5}));
    EXPECT_EQ(round_trip(WithCereal{"x", {1, 2, 3}}), (WithCereal{"x", {1, 2, 3}}));
    std::map<std::string, std::optional<int>> map{{"a", 1}, {"b", std::nullopt}};
    EXPECT_EQ(round_trip(map), map);
}

TEST(Serialize, ArgumentTuplesRoundTrip) {
    auto bytes = taskfarm::detail::to_bytes(1, std::string("two"), 3.0);
    auto [a, b, c] = taskfarm::detail::tuple_from_bytes<int, std::string, double>(bytes);
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, "two");
    EXPECT_EQ(c, 3.0);
}

// A member of every standard type cereal knows: each needs its cereal header, which
// serialize.hpp includes so that user structs like this one compile.
struct EveryStdType {
    std::deque<int> deque;
    std::list<std::string> list;
    std::forward_list<double> forward_list;
    std::set<int> set;
    std::multiset<int> multiset;
    std::unordered_set<std::string> unordered_set;
    std::unordered_multiset<int> unordered_multiset;
    std::multimap<int, std::string> multimap;
    std::unordered_map<std::string, int> unordered_map;
    std::unordered_multimap<int, int> unordered_multimap;
    std::stack<int> stack;
    std::queue<std::string> queue;
    std::priority_queue<int> priority_queue;
    std::valarray<double> valarray;
    std::complex<double> complex;
    std::bitset<70> bitset;
    std::chrono::milliseconds duration{};
    std::chrono::system_clock::time_point time_point;
    std::unique_ptr<std::string> unique_ptr;
    std::shared_ptr<std::vector<int>> shared_ptr;
    std::unique_ptr<int> null_ptr;
    template <class Archive>
    void serialize(Archive& archive) {
        archive(deque, list, forward_list, set, multiset, unordered_set, unordered_multiset, multimap, unordered_map,
                unordered_multimap, stack, queue, priority_queue, valarray, complex, bitset, duration, time_point,
                unique_ptr, shared_ptr, null_ptr);
    }
};

// Trivially copyable structs nested in those types still travel as their bytes (the
// plain_struct save/load in serialize.hpp), beside cereal's own save/load for the std types
// that are trivially copyable too (bitset, complex, time_point).
struct PlainInside {
    std::deque<Plain> deque;
    std::list<std::complex<float>> complexes;
    std::unique_ptr<Plain> unique_ptr;
    std::shared_ptr<Plain> shared_ptr;
    std::unordered_map<int, Plain> by_id;
    std::vector<std::bitset<9>> bitsets;
    template <class Archive>
    void serialize(Archive& archive) { archive(deque, complexes, unique_ptr, shared_ptr, by_id, bitsets); }
};

static_assert(taskfarm::serializable<std::deque<Plain>>);
static_assert(taskfarm::serializable<std::unordered_set<std::string>>);
static_assert(taskfarm::serializable<std::unique_ptr<WithCereal>>);
static_assert(cereal::traits::is_output_serializable<std::atomic<int>, cereal::BinaryOutputArchive>::value);

TEST(Serialize, EveryStdTypeCerealKnowsRoundTripsAsAMember) {
    EveryStdType in;
    in.deque = {1, 2, 3};
    in.list = {"a", "bc"};
    in.forward_list = {0.5, 1.5};
    in.set = {3, 1};
    in.multiset = {2, 2, 7};
    in.unordered_set = {"x", "y"};
    in.unordered_multiset = {4, 4};
    in.multimap = {{1, "one"}, {1, "uno"}};
    in.unordered_map = {{"k", 9}};
    in.unordered_multimap = {{5, 6}, {5, 7}};
    in.stack.push(10);
    in.stack.push(11);
    in.queue.push("first");
    in.queue.push("second");
    in.priority_queue.push(3);
    in.priority_queue.push(8);
    in.valarray = {1.0, 2.0, 3.0};
    in.complex = {1.5, -2.5};
    in.bitset.set(0).set(69);
    in.duration = std::chrono::milliseconds(1234);
    in.time_point = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    in.unique_ptr = std::make_unique<std::string>("owned");
    in.shared_ptr = std::make_shared<std::vector<int>>(std::vector<int>{4, 5});

    auto out = round_trip(in);
    EXPECT_EQ(out.deque, in.deque);
    EXPECT_EQ(out.list, in.list);
    EXPECT_EQ(out.forward_list, in.forward_list);
    EXPECT_EQ(out.set, in.set);
    EXPECT_EQ(out.multiset, in.multiset);
    EXPECT_EQ(out.unordered_set, in.unordered_set);
    EXPECT_EQ(out.unordered_multiset, in.unordered_multiset);
    // cereal 1.3 reads equal keys back in reverse order (USCiLab/cereal#865): compare the
    // elements, not their order.
    using Pairs = std::multiset<std::pair<int, std::string>>;
    EXPECT_EQ(Pairs(out.multimap.begin(), out.multimap.end()), Pairs(in.multimap.begin(), in.multimap.end()));
    EXPECT_EQ(out.unordered_map, in.unordered_map);
    EXPECT_EQ(out.unordered_multimap, in.unordered_multimap);
    EXPECT_EQ(out.stack, in.stack);
    EXPECT_EQ(out.queue, in.queue);
    ASSERT_EQ(out.priority_queue.size(), 2u);
    EXPECT_EQ(out.priority_queue.top(), 8);
    ASSERT_EQ(out.valarray.size(), 3u);
    EXPECT_EQ(out.valarray[2], 3.0);
    EXPECT_EQ(out.complex, in.complex);
    EXPECT_EQ(out.bitset, in.bitset);
    EXPECT_EQ(out.duration, in.duration);
    EXPECT_EQ(out.time_point, in.time_point);
    ASSERT_TRUE(out.unique_ptr);
    EXPECT_EQ(*out.unique_ptr, "owned");
    ASSERT_TRUE(out.shared_ptr);
    EXPECT_EQ(*out.shared_ptr, (std::vector<int>{4, 5}));
    EXPECT_FALSE(out.null_ptr);
}

TEST(Serialize, PlainStructsInsideStdTypesTravelAsTheirBytes) {
    PlainInside in;
    in.deque = {{1, 0.5}, {2, 1.5}};
    in.complexes = {{1.0f, 2.0f}};
    in.unique_ptr = std::make_unique<Plain>(Plain{3, 3.5});
    in.shared_ptr = std::make_shared<Plain>(Plain{4, 4.5});
    in.by_id = {{7, Plain{7, 7.5}}};
    in.bitsets = {std::bitset<9>(0x1ff), std::bitset<9>(5)};

    auto out = round_trip(in);
    EXPECT_EQ(out.deque, in.deque);
    EXPECT_EQ(out.complexes, in.complexes);
    ASSERT_TRUE(out.unique_ptr && out.shared_ptr);
    EXPECT_EQ(*out.unique_ptr, (Plain{3, 3.5}));
    EXPECT_EQ(*out.shared_ptr, (Plain{4, 4.5}));
    EXPECT_EQ(out.by_id, in.by_id);
    EXPECT_EQ(out.bitsets, in.bitsets);
}

TEST(Serialize, StdContainersTravelAsArgumentsThemselves) {
    auto bytes = taskfarm::detail::to_bytes(std::deque<int>{1, 2}, std::list<std::string>{"a"},
                                            std::unordered_set<int>{5}, std::chrono::seconds(3));
    auto [deque, list, set, seconds] =
        taskfarm::detail::tuple_from_bytes<std::deque<int>, std::list<std::string>, std::unordered_set<int>,
                                           std::chrono::seconds>(bytes);
    EXPECT_EQ(deque, (std::deque<int>{1, 2}));
    EXPECT_EQ(list, (std::list<std::string>{"a"}));
    EXPECT_EQ(set, (std::unordered_set<int>{5}));
    EXPECT_EQ(seconds, std::chrono::seconds(3));
}

TEST(Serialize, ShortBytesThrowInsteadOfReadingPastTheEnd) {
    auto bytes = taskfarm::detail::to_bytes(std::string("hello world"));
    bytes.resize(bytes.size() - 3);
    EXPECT_ANY_THROW(taskfarm::detail::from_bytes<std::string>(bytes));
}

}  // namespace
