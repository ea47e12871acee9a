// The serialization ladder end to end: every rung as argument and result, on a real farm.
#include "farm.hpp"

#include <boost/serialization/base_object.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <tuple>

namespace {

struct Vec3 {  // rung 1: trivially copyable, no serialize at all
    double x, y, z;
    bool operator==(const Vec3&) const = default;
};

struct Sample {  // rung 3: cereal
    std::string name;
    std::vector<double> values;
    std::map<std::string, int> counts;
    std::optional<Vec3> centre;
    template <class Archive>
    void serialize(Archive& archive) { archive(name, values, counts, centre); }
    bool operator==(const Sample&) const = default;
};

struct Base {
    int id = 0;
    template <class Archive>
    void serialize(Archive& archive, const unsigned int) { archive & id; }
};
struct Labelled : Base {  // rung 2: Boost.Serialization, with a Boost-only feature (base_object)
    std::vector<std::string> labels;
    template <class Archive>
    void serialize(Archive& archive, const unsigned int) {
        archive & boost::serialization::base_object<Base>(*this);
        archive & labels;
    }
};

struct Brittle {  // writes one value, reads two: decoding always runs out of bytes
    int value = 0;
    template <class Archive>
    void save(Archive& archive) const { archive(value); }
    template <class Archive>
    void load(Archive& archive) {
        int extra;
        archive(value, extra);
    }
};

struct Polynomial {  // a function object whose coefficients travel with each task
    std::vector<double> coefficients;
    double operator()(double x) const {
        double sum = 0;
        for (auto it = coefficients.rbegin(); it != coefficients.rend(); ++it) sum = sum * x + *it;
        return sum;
    }
    template <class Archive>
    void serialize(Archive& archive) { archive(coefficients); }
};

Vec3 cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
Sample normalise(Sample s) {
    double total = 0;
    for (double v : s.values) total += v;
    for (double& v : s.values) v /= total;
    s.counts["normalised"] += 1;
    return s;
}
Labelled relabel(Labelled item) {
    item.id += 100;
    item.labels.push_back("seen");
    return item;
}
std::tuple<int, std::string, std::pair<double, bool>> unpack(std::tuple<int, std::string> in) {
    return {std::get<0>(in) * 2, std::get<1>(in) + "!", {0.5, true}};
}
int read_brittle(Brittle b) { return b.value; }
Brittle make_brittle(int v) { return Brittle{v}; }

TEST(Serialization, TriviallyCopyableStructs) {
    EXPECT_EQ(test::client().submit(cross, Vec3{1, 0, 0}, Vec3{0, 1, 0}).get(), (Vec3{0, 0, 1}));
}

TEST(Serialization, CerealTypesNestingStdContainers) {
    Sample in{"run", {1, 3}, {{"a", 1}}, Vec3{1, 2, 3}};
    auto out = test::client().submit(normalise, in).get();
    EXPECT_EQ(out.name, "run");
    EXPECT_EQ(out.values, (std::vector<double>{0.25, 0.75}));
    EXPECT_EQ(out.counts.at("normalised"), 1);
    EXPECT_EQ(out.centre, (Vec3{1, 2, 3}));
}

TEST(Serialization, BoostSerializationTypes) {
    Labelled in;
    in.id = 7;
    in.labels = {"x"};
    auto out = test::client().submit(relabel, in).get();
    EXPECT_EQ(out.id, 107);
    EXPECT_EQ(out.labels, (std::vector<std::string>{"x", "seen"}));
}

TEST(Serialization, TuplesAndPairs) {
    auto [a, b, c] = test::client().submit(unpack, std::tuple<int, std::string>{21, "hi"}).get();
    EXPECT_EQ(a, 42);
    EXPECT_EQ(b, "hi!");
    EXPECT_EQ(c, (std::pair<double, bool>{0.5, true}));
}

TEST(Serialization, FunctionObjectsWithStateSubmitAndMap) {
    Polynomial p{{1, 0, 2}};  // 1 + 2x²
    EXPECT_DOUBLE_EQ(test::client().submit(p, 3.0).get(), 19.0);
    auto values = test::client().gather(test::client().map(Polynomial{{0, 1}}, std::vector<double>{1, 2, 3}));
    EXPECT_EQ(values, (std::vector<double>{1, 2, 3}));
}

TEST(Serialization, ArgumentsThatFailToDecodeBecomeTaskErrors) {
    auto future = test::client().submit(read_brittle, Brittle{5});
    EXPECT_THROW(future.get(), taskfarm::TaskError);
    EXPECT_EQ(test::client().submit([](int x) { return x; }, 1).get(), 1) << "the worker lives on";
}

TEST(Serialization, ResultsThatFailToDecodeBecomeTaskErrors) {
    auto future = test::client().submit(make_brittle, 5);
    try {
        future.get();
        FAIL() << "expected a TaskError";
    } catch (const taskfarm::TaskError& error) {
        EXPECT_NE(error.message().find("could not be decoded"), std::string::npos) << error.what();
    }
}

}  // namespace
