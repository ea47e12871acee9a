#include "wire.hpp"

#include <cstring>
#include <type_traits>

namespace taskfarm::detail {
namespace {

class Writer {
public:
    explicit Writer(Bytes& out) : out_(out) {}

    template <class Int>
        requires std::is_integral_v<Int> || std::is_enum_v<Int>
    void put(Int value) {
        char raw[sizeof value];
        std::memcpy(raw, &value, sizeof value);  // every rank runs the same binary on one architecture
        out_.insert(out_.end(), raw, raw + sizeof value);
    }
    void put(std::span<const char> bytes) {
        put<std::uint64_t>(bytes.size());
        out_.insert(out_.end(), bytes.begin(), bytes.end());
    }
    void put(const std::string& text) { put(std::span<const char>(text.data(), text.size())); }

private:
    Bytes& out_;
};

class Reader {
public:
    explicit Reader(std::span<const char> in) : in_(in) {}

    template <class Int>
    Int get() {
        Int value;
        std::memcpy(&value, take(sizeof value).data(), sizeof value);
        return value;
    }
    Bytes get_bytes() {
        auto bytes = take(get<std::uint64_t>());
        return Bytes(bytes.begin(), bytes.end());
    }
    std::string get_string() {
        auto bytes = take(get<std::uint64_t>());
        return std::string(bytes.begin(), bytes.end());
    }
    bool get_bool() {
        auto value = get<std::uint8_t>();
        if (value > 1) throw ProtocolError("malformed message: a flag is neither 0 nor 1");
        return value == 1;
    }
    std::size_t used() const { return used_; }

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

void put_spec(Writer& w, const TaskSpec& spec) {
    w.put(spec.task);
    w.put(spec.invoker);
    w.put(spec.module);
    w.put(spec.offset);
    w.put(spec.args);
}

TaskSpec get_spec(Reader& r) {
    TaskSpec spec;
    spec.task = r.get<TaskId>();
    spec.invoker = r.get<std::uint64_t>();
    spec.module = r.get<std::uint64_t>();
    spec.offset = r.get<std::uint64_t>();
    spec.args = r.get_bytes();
    return spec;
}

Kind kind_of(const Message& message) {
    return static_cast<Kind>(message.index() + 1);  // Message lists the kinds in enum order
}

}  // namespace

void encode(const Message& message, Bytes& frame) {
    Writer w(frame);
    w.put(kind_of(message));
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, Submit> || std::is_same_v<M, Run>) {
                put_spec(w, m.spec);
            } else if constexpr (std::is_same_v<M, Finished>) {
                w.put(m.task);
                w.put(m.outcome);
                w.put(m.payload);
            } else if constexpr (std::is_same_v<M, Done>) {
                w.put(m.task);
                w.put<std::uint8_t>(m.held ? 1 : 0);
            } else if constexpr (std::is_same_v<M, Fetched>) {
                w.put(m.task);
                w.put(m.payload);
            } else if constexpr (std::is_same_v<M, Fetch> || std::is_same_v<M, Release>) {
                w.put(m.task);
            } else {
                static_assert(std::is_same_v<M, Shutdown> || std::is_same_v<M, Stop>);
                w.put(m.status);
            }
        },
        message);
}

std::pair<Message, std::size_t> decode_one(std::span<const char> bytes) {
    Reader r(bytes);
    auto kind = r.get<std::uint8_t>();
    Message message;
    switch (static_cast<Kind>(kind)) {
    case Kind::submit: message = Submit{get_spec(r)}; break;
    case Kind::run: message = Run{get_spec(r)}; break;
    case Kind::finished: {
        Finished m;
        m.task = r.get<TaskId>();
        auto outcome = r.get<std::uint8_t>();
        if (outcome < 1 || outcome > 3) throw ProtocolError("malformed message: unknown task outcome " + std::to_string(outcome));
        m.outcome = static_cast<Outcome>(outcome);
        m.payload = r.get_bytes();
        message = std::move(m);
        break;
    }
    case Kind::done: {
        Done m;
        m.task = r.get<TaskId>();
        m.held = r.get_bool();
        message = m;
        break;
    }
    case Kind::fetch: message = Fetch{r.get<TaskId>()}; break;
    case Kind::fetched: {
        Fetched m;
        m.task = r.get<TaskId>();
        m.payload = r.get_bytes();
        message = std::move(m);
        break;
    }
    case Kind::release: message = Release{r.get<TaskId>()}; break;
    case Kind::shutdown: message = Shutdown{r.get<std::int32_t>()}; break;
    case Kind::stop: message = Stop{r.get<std::int32_t>()}; break;
    default: throw ProtocolError("unknown message kind " + std::to_string(kind));
    }
    return {std::move(message), r.used()};
}

Bytes encode_failure(const TaskFailure& failure) {
    Bytes out;
    Writer w(out);
    w.put(failure.type_name);
    w.put(failure.message);
    w.put(failure.rank);
    w.put(failure.host);
    return out;
}

TaskFailure decode_failure(std::span<const char> bytes) {
    Reader r(bytes);
    TaskFailure failure;
    failure.type_name = r.get_string();
    failure.message = r.get_string();
    failure.rank = r.get<std::int32_t>();
    failure.host = r.get_string();
    if (r.used() != bytes.size()) throw ProtocolError("malformed task failure: trailing bytes");
    return failure;
}

}  // namespace taskfarm::detail
