#pragma once
// How arguments and results become bytes. The one place that decides it.
//
// A type travels if it is trivially copyable (copied as bytes) or if cereal can
// archive it (a `serialize` member or free function, or one of cereal's std types).
// cereal's portable-enough binary archive is used: every rank runs the same binary
// on the same kind of machine, so no endianness or width translation is needed.

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>

#include <cstring>
#include <span>
#include <streambuf>
#include <tuple>
#include <type_traits>
#include <vector>

namespace taskfarm {

using Bytes = std::vector<char>;

template <class T>
concept cereal_serializable =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

template <class T>
concept serializable = std::is_object_v<T> && !std::is_pointer_v<T> &&
                       (cereal_serializable<T> ||
                        (std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>));

namespace detail {

// Makes the compiler name the offending type in its diagnostic ("required from ... [with T = X]").
template <class T>
constexpr void require_serializable() {
    static_assert(serializable<T>,
                  "taskfarm: this argument or result type cannot be sent to another rank. "
                  "Make it trivially copyable, give it a cereal serialize(Archive&) member, "
                  "or use a std type cereal supports (string, vector, map, optional, tuple, pair).");
}

class AppendBuffer : public std::streambuf {
public:
    explicit AppendBuffer(Bytes& out) : out_(out) {}

protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        out_.insert(out_.end(), s, s + n);
        return n;
    }
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(traits_type::to_char_type(c));
        return traits_type::not_eof(c);
    }

private:
    Bytes& out_;
};

class ReadBuffer : public std::streambuf {
public:
    explicit ReadBuffer(std::span<const char> in) {
        char* begin = const_cast<char*>(in.data());
        setg(begin, begin, begin + in.size());
    }
};

template <class T>
void archive_one(cereal::BinaryOutputArchive& archive, const T& value) {
    if constexpr (cereal_serializable<T>) archive(value);
    else archive(cereal::binary_data(&value, sizeof value));
}

template <class T>
void unarchive_one(cereal::BinaryInputArchive& archive, T& value) {
    if constexpr (cereal_serializable<T>) archive(value);
    else archive(cereal::binary_data(&value, sizeof value));
}

template <class... Ts>
Bytes to_bytes(const Ts&... values) {
    (require_serializable<Ts>(), ...);
    Bytes out;
    {
        AppendBuffer buffer(out);
        std::ostream stream(&buffer);
        cereal::BinaryOutputArchive archive(stream);
        (archive_one(archive, values), ...);
    }
    return out;
}

// Throws cereal::Exception when the bytes run out before the values do.
template <class... Ts>
std::tuple<Ts...> tuple_from_bytes(std::span<const char> bytes) {
    (require_serializable<Ts>(), ...);
    ReadBuffer buffer(bytes);
    std::istream stream(&buffer);
    cereal::BinaryInputArchive archive(stream);
    std::tuple<Ts...> values;
    std::apply([&](auto&... v) { (unarchive_one(archive, v), ...); }, values);
    return values;
}

template <class T>
T from_bytes(std::span<const char> bytes) {
    return std::get<0>(tuple_from_bytes<T>(bytes));
}

}  // namespace detail
}  // namespace taskfarm
