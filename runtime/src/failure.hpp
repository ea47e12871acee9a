#pragma once
// The failure record: what a failed task (or element of a chunk) reports, its bytes, and
// the ways a rank makes one or turns one into the TaskError the user catches. Every
// failure a worker, the scheduler or the client makes goes through here.
//
// Its bytes, with the wire's conventions (wire.hpp): integers fixed width in the machine's
// byte order, text as u64 length + bytes:
//   text type_name | text message | i32 rank | text host | i32 attempts
// encode_failure and decode_failure are inline so that whatever reads the wire reads
// failures too with no more than wire.cpp (the fuzz target links nothing else).

#include "wire.hpp"  // Bytes, ProtocolError (wire.hpp includes this header back, for its users)

// encode_current_exception and encode_timeout are declared there, not here: the chunk
// invoker (detail/task.hpp), a public template instantiated in user code, calls them.
// failure.cpp defines them.
#include <taskfarm/detail/registry.hpp>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace taskfarm::detail {

// What a worker reports when a task throws, crashes or runs over its timeout.
struct TaskFailure {
    std::string type_name;
    std::string message;
    std::int32_t rank = 0;
    std::string host;
    std::int32_t attempts = 1;
    friend bool operator==(const TaskFailure&, const TaskFailure&) = default;
};

namespace failure_bytes {

inline void put(Bytes& out, const void* data, std::size_t size) {
    if (size == 0) return;
    auto at = out.size();
    out.resize(at + size);
    std::memcpy(out.data() + at, data, size);
}
inline void put_int(Bytes& out, std::int32_t value) { put(out, &value, sizeof value); }
inline void put_text(Bytes& out, std::string_view text) {
    std::uint64_t size = text.size();
    put(out, &size, sizeof size);
    put(out, text.data(), text.size());
}

// Reads the fields in order; throws ProtocolError where the bytes end too soon.
class Reader {
public:
    explicit Reader(std::span<const char> in) : in_(in) {}
    std::int32_t get_int() {
        std::int32_t value;
        std::memcpy(&value, take(sizeof value).data(), sizeof value);
        return value;
    }
    std::string get_text() {
        std::uint64_t size;
        std::memcpy(&size, take(sizeof size).data(), sizeof size);
        auto text = take(size);
        return std::string(text.begin(), text.end());
    }
    bool at_end() const { return used_ == in_.size(); }

private:
    std::span<const char> take(std::uint64_t n) {
        if (n > in_.size() - used_) throw ProtocolError("truncated message");
        auto part = in_.subspan(used_, static_cast<std::size_t>(n));
        used_ += static_cast<std::size_t>(n);
        return part;
    }

    std::span<const char> in_;
    std::size_t used_ = 0;
};

}  // namespace failure_bytes

inline Bytes encode_failure(const TaskFailure& failure) {
    Bytes out;
    failure_bytes::put_text(out, failure.type_name);
    failure_bytes::put_text(out, failure.message);
    failure_bytes::put_int(out, failure.rank);
    failure_bytes::put_text(out, failure.host);
    failure_bytes::put_int(out, failure.attempts);
    return out;
}

// Throws ProtocolError on malformed bytes.
inline TaskFailure decode_failure(std::span<const char> bytes) {
    failure_bytes::Reader r(bytes);
    TaskFailure failure;
    failure.type_name = r.get_text();
    failure.message = r.get_text();
    failure.rank = r.get_int();
    failure.host = r.get_text();
    failure.attempts = r.get_int();
    if (!r.at_end()) throw ProtocolError("malformed task failure: trailing bytes");
    return failure;
}

// Throws the TaskError that an encoded failure of task `task` describes (ProtocolError if
// the bytes are not a failure record).
[[noreturn]] void throw_failure(std::span<const char> encoded, TaskId task);

}  // namespace taskfarm::detail
