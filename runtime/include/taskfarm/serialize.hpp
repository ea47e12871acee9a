#pragma once
// How arguments, results and function objects become bytes: the one place that decides it.
//
// The ladder, first rung that fits wins:
//   1. Boost.Serialization  → a `serialize(Archive&, const unsigned int version)` member or
//                             ADL free function: written with a Boost binary archive;
//   2. cereal               → a `serialize(Archive&)` / `save` / `load` member or free
//                             function, or one of cereal's std types (all included below):
//                             cereal's binary archive;
//   3. trivially copyable   → its bytes, with one memcpy; also when nested inside a cereal
//                             type. A std::vector of such values is one memcpy too.
// A type's own serialization wins over its bytes. Every rank runs the same binary on the same
// kind of machine, so binary archives with no byte-order translation are right. Values are
// read back into default-constructed objects.

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cereal/archives/binary.hpp>
// Every standard type cereal knows, so that a member of any of them just works: without its
// header cereal rejects the type with a page of template errors.
#include <cereal/types/array.hpp>
#include <cereal/types/atomic.hpp>
#include <cereal/types/bitset.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/forward_list.hpp>
#include <cereal/types/functional.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/queue.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/stack.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/valarray.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <array>
#include <atomic>
#include <bitset>
#include <chrono>
#include <complex>
#include <functional>
#include <istream>
#include <optional>
#include <utility>
#include <variant>
#include <ostream>
#include <span>
#include <streambuf>
#include <tuple>
#include <type_traits>
#include <vector>

namespace taskfarm {

using Bytes = std::vector<char>;

template <class T>
concept bytes_serializable = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
                             !std::is_member_pointer_v<T> && std::is_default_constructible_v<T>;

template <class T>
concept boost_serializable =
    std::is_class_v<T> && std::is_default_constructible_v<T> &&
    (requires(T& value, boost::archive::binary_oarchive& archive, const unsigned int version) {
        value.serialize(archive, version);
    } || requires(T& value, boost::archive::binary_oarchive& archive, const unsigned int version) {
        serialize(archive, value, version);
    });

template <class T>
concept cereal_serializable =
    std::is_default_constructible_v<T> &&
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

template <class T>
concept serializable = std::is_object_v<T> && !std::is_pointer_v<T> &&
                       (bytes_serializable<T> || boost_serializable<T> || cereal_serializable<T>);

namespace detail {

// std class templates that can be trivially copyable but that cereal archives its own way.
template <class T>
struct is_std_wrapper : std::false_type {};
template <class T, std::size_t N>
struct is_std_wrapper<std::array<T, N>> : std::true_type {};
template <class T>
struct is_std_wrapper<std::optional<T>> : std::true_type {};
template <class... Ts>
struct is_std_wrapper<std::variant<Ts...>> : std::true_type {};
template <class A, class B>
struct is_std_wrapper<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_std_wrapper<std::tuple<Ts...>> : std::true_type {};
template <class T>
struct is_std_wrapper<std::complex<T>> : std::true_type {};
template <class R, class P>
struct is_std_wrapper<std::chrono::duration<R, P>> : std::true_type {};
template <class C, class D>
struct is_std_wrapper<std::chrono::time_point<C, D>> : std::true_type {};
template <std::size_t N>
struct is_std_wrapper<std::bitset<N>> : std::true_type {};
template <class T>
struct is_std_wrapper<std::less<T>> : std::true_type {};
template <class T>
struct is_std_wrapper<std::atomic<T>> : std::true_type {};  // GCC calls it trivially copyable

// A trivially copyable struct with no serialization of its own. Nested inside a cereal
// type (an optional<Vec3>, a vector<Point>) it is archived as its bytes, through the
// save/load pair below, so rung 1 holds at every depth.
template <class T>
concept plain_struct =
    std::is_class_v<T> && std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T> &&
    !is_std_wrapper<T>::value && !requires(T& t, cereal::BinaryOutputArchive& a) { t.serialize(a); } &&
    !requires(T& t, cereal::BinaryOutputArchive& a) { t.save(a); } &&
    !requires(T& t, cereal::BinaryOutputArchive& a, const unsigned version) { t.serialize(a, version); };

}  // namespace detail
}  // namespace taskfarm

namespace cereal {
template <taskfarm::detail::plain_struct T>
void CEREAL_SAVE_FUNCTION_NAME(BinaryOutputArchive& archive, const T& value) {
    archive(binary_data(&value, sizeof value));
}
template <taskfarm::detail::plain_struct T>
void CEREAL_LOAD_FUNCTION_NAME(BinaryInputArchive& archive, T& value) {
    archive(binary_data(&value, sizeof value));
}
}  // namespace cereal

namespace taskfarm {
namespace detail {

// What std::ref(x) decays to: a pointer in a wrapper.
template <class T>
constexpr bool is_reference_wrapper = false;
template <class T>
constexpr bool is_reference_wrapper<std::reference_wrapper<T>> = true;

// Instantiated with the offending type, so that the compiler names it next to the message:
// GCC in "In instantiation of ... require_serializable() [with T = ...]" above it, Clang in
// "in instantiation of ... require_serializable<...>" below it.
template <class T>
constexpr void require_serializable() {
    // Not "how to make it travel" but "do not send it": a pointer is an address in this process.
    constexpr bool is_pointer = std::is_pointer_v<T> || is_reference_wrapper<T>;
    if constexpr (is_pointer) {
        static_assert(!is_pointer,
                      "taskfarm: a pointer cannot be sent to another rank: it points into this "
                      "process's memory, which the rank that runs the task cannot see (std::ref is a "
                      "pointer too). Pass the value itself (copy it): an int rather than an int*, a "
                      "std::string rather than a const char*, a std::vector rather than a pointer to "
                      "an array. A task gives back what it computes by returning it.");
    } else {
        static_assert(serializable<T>,
                      "taskfarm: this type cannot be sent to another rank (the compiler names it in "
                      "the lines around this message: look for 'require_serializable() [with T = "
                      "...]', or 'require_serializable<...>' with Clang). Three ways to make it "
                      "travel: "
                      "(1) make it trivially copyable (no pointers, no std::string members); "
                      "(2) give it a cereal member `template <class Archive> void serialize(Archive& ar) "
                      "{ ar(field1, field2); }` (std containers, strings and smart pointers among the "
                      "fields travel too); "
                      "(3) give it a Boost.Serialization member `template <class Archive> void "
                      "serialize(Archive& ar, const unsigned int) { ar & field1 & field2; }`. "
                      "It must also be default-constructible.");
    }
}

// Appends what a stream writes to a byte vector.
class AppendBuffer : public std::streambuf {
public:
    void target(Bytes* out) { out_ = out; }

protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        out_->insert(out_->end(), s, s + n);
        return n;
    }
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) out_->push_back(traits_type::to_char_type(c));
        return traits_type::not_eof(c);
    }

private:
    Bytes* out_ = nullptr;
};

// Reads a stream from a span of bytes.
class ReadBuffer : public std::streambuf {
public:
    void source(std::span<const char> in) {
        char* begin = const_cast<char*>(in.data());  // only ever read
        setg(begin, begin, begin + in.size());
    }
};

// Making a std::ostream costs a locale and several dynamic_casts, more than archiving a few
// numbers, so each thread keeps one stream of each kind and points it at the bytes at hand.
// Serialize functions do not call to_bytes themselves, so one per thread is enough.
struct ThreadStreams {
    AppendBuffer append;
    ReadBuffer read;
    std::ostream out{&append};
    std::istream in{&read};
};

inline ThreadStreams& thread_streams() {
    thread_local ThreadStreams streams;
    return streams;
}

constexpr unsigned boost_archive_flags = boost::archive::no_header | boost::archive::no_codecvt;

template <class T>
void write_one(std::streambuf& buffer, cereal::BinaryOutputArchive& archive, const T& value) {
    if constexpr (!serializable<T>) {
        // Our message only: archiving the value anyway would add cereal's errors after it
        // (raw pointers, missing serialization functions).
        require_serializable<T>();
    } else if constexpr (boost_serializable<T>) {
        boost::archive::binary_oarchive boost_archive(buffer, boost_archive_flags);
        boost_archive << value;
    } else if constexpr (cereal_serializable<T>) {
        archive(value);
    } else {
        archive(cereal::binary_data(&value, sizeof value));
    }
}

template <class T>
void read_one(std::streambuf& buffer, cereal::BinaryInputArchive& archive, T& value) {
    if constexpr (!serializable<T>) {
        require_serializable<T>();  // as in write_one
    } else if constexpr (boost_serializable<T>) {
        boost::archive::binary_iarchive boost_archive(buffer, boost_archive_flags);
        boost_archive >> value;
    } else if constexpr (cereal_serializable<T>) {
        archive(value);
    } else {
        archive(cereal::binary_data(&value, sizeof value));
    }
}

template <class... Ts>
Bytes to_bytes(const Ts&... values) {
    (require_serializable<Ts>(), ...);
    Bytes out;
    auto& streams = thread_streams();
    streams.append.target(&out);
    streams.out.clear();
    cereal::BinaryOutputArchive archive(streams.out);
    (write_one(streams.append, archive, values), ...);
    streams.append.target(nullptr);
    return out;
}

// Throws (cereal::Exception, boost::archive::archive_exception, std::bad_alloc...) when the
// bytes do not hold these values; never reads past the end.
template <class... Ts>
std::tuple<Ts...> tuple_from_bytes(std::span<const char> bytes) {
    (require_serializable<Ts>(), ...);
    auto& streams = thread_streams();
    streams.read.source(bytes);
    streams.in.clear();
    cereal::BinaryInputArchive archive(streams.in);
    std::tuple<Ts...> values;
    std::apply([&](auto&... value) { (read_one(streams.read, archive, value), ...); }, values);
    return values;
}

template <class T>
T from_bytes(std::span<const char> bytes) {
    return std::get<0>(tuple_from_bytes<T>(bytes));
}

}  // namespace detail
}  // namespace taskfarm
