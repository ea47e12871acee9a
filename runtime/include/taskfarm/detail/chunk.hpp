#pragma once
// The chunk format: many elements of a map in one task, and one outcome per element in its result.

#include <taskfarm/detail/callable.hpp>
#include <taskfarm/serialize.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <ostream>
#include <span>

namespace taskfarm::detail {

// A chunk of a map: many elements' arguments in one task, run one after the other on one
// worker. Its result holds one outcome per element, back to back:
//   u8 1 | u64 size | result bytes     or     u8 0 | u64 size | encoded failure
// append_outcome writes one; for_each_outcome reads them back.
enum class ElementOutcome : std::uint8_t { failed = 0, ok = 1 };

inline void append_outcome(Bytes& out, ElementOutcome outcome, const Bytes& bytes) {
    std::uint64_t size = bytes.size();
    out.push_back(static_cast<char>(outcome));
    out.insert(out.end(), reinterpret_cast<const char*>(&size), reinterpret_cast<const char*>(&size) + sizeof size);
    out.insert(out.end(), bytes.begin(), bytes.end());
}

// Where one element's outcome lies in its chunk's result.
struct OutcomePlace {
    bool ok;             // a result; else an encoded failure
    std::size_t offset;  // of its bytes, from the start of the chunk's result
    std::size_t size;
};

// Calls visit(const OutcomePlace&) for each outcome of a chunk's result, in element order.
// Stops at the first bytes that are not an outcome (cut short, or an outcome byte other than
// 0 and 1): the elements from there on have none.
template <class Visit>
void for_each_outcome(std::span<const char> result, Visit&& visit) {
    constexpr std::size_t header = 1 + sizeof(std::uint64_t);
    std::size_t at = 0;
    while (result.size() - at >= header) {
        auto outcome = static_cast<std::uint8_t>(result[at]);
        std::uint64_t size;
        std::memcpy(&size, result.data() + at + 1, sizeof size);
        if (outcome > 1 || size > result.size() - at - header) return;
        visit(OutcomePlace{outcome == 1, at + header, static_cast<std::size_t>(size)});
        at += header + static_cast<std::size_t>(size);
    }
}

// Writes a chunk's arguments: the function object (if it has state), the element count,
// then each element's arguments.
class ChunkWriter {
public:
    ChunkWriter() : stream_(&buffer_) {}

    template <class Fn>
    void start(const Fn& fn) {
        bytes_.clear();
        count_ = 0;
        buffer_.target(&bytes_);
        stream_.clear();
        archive_.emplace(stream_);
        if constexpr (stateful_callable<Fn>) write_one(buffer_, *archive_, fn);
        count_at_ = bytes_.size();
        (*archive_)(std::uint32_t{0});  // patched by finish()
    }
    template <class... Stored>
    void add(const Stored&... args) {
        (write_one(buffer_, *archive_, args), ...);
        ++count_;
    }
    std::uint32_t count() const { return count_; }
    Bytes finish() {
        archive_.reset();
        std::memcpy(bytes_.data() + count_at_, &count_, sizeof count_);
        buffer_.target(nullptr);
        return std::move(bytes_);
    }

private:
    Bytes bytes_;
    AppendBuffer buffer_;
    std::ostream stream_;
    std::optional<cereal::BinaryOutputArchive> archive_;
    std::size_t count_at_ = 0;
    std::uint32_t count_ = 0;
};

}  // namespace taskfarm::detail
