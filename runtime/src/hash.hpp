#pragma once
// FNV-1a: the one hash behind registry keys, module names and the start-up fingerprint.
// It must give the same value in every process of the same binary; it is not for security.

#include <cstdint>
#include <string_view>

namespace taskfarm::detail {

constexpr std::uint64_t fnv1a_seed = 14695981039346656037ull;

inline std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = fnv1a_seed) {
    for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

template <class T>
std::uint64_t fnv1a_of(const T& value, std::uint64_t hash) {
    return fnv1a(std::string_view(reinterpret_cast<const char*>(&value), sizeof value), hash);
}

}  // namespace taskfarm::detail
