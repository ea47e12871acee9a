#include <taskfarm/serialize.hpp>

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

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

TEST(Serialize, ShortBytesThrowInsteadOfReadingPastTheEnd) {
    auto bytes = taskfarm::detail::to_bytes(std::string("hello world"));
    bytes.resize(bytes.size() - 3);
    EXPECT_ANY_THROW(taskfarm::detail::from_bytes<std::string>(bytes));
}

}  // namespace
