#pragma once
// A value whose bytes decode only while it is not negative: arguments and results that
// cannot be read back, for the tests of what such a failure says.

#include <stdexcept>

namespace test {
struct Unreadable {
    int value = 0;
    template <class Archive>
    void save(Archive& archive) const {
        archive(value);
    }
    template <class Archive>
    void load(Archive& archive) {
        archive(value);
        if (value < 0) throw std::runtime_error("a negative Unreadable does not decode");
    }
};
}  // namespace test
