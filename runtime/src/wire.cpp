#include "wire.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

namespace taskfarm::detail {
namespace {

class Writer {
public:
    explicit Writer(Bytes& out, std::vector<Bytes>* attachments = nullptr) : out_(out), attachments_(attachments) {}

    template <class Int>
        requires std::is_integral_v<Int> || std::is_enum_v<Int> || std::is_floating_point_v<Int>
    void put(Int value) {
        append(&value, sizeof value);  // every rank runs the same binary on one architecture
    }
    void put(std::span<const char> bytes) {
        put<std::uint64_t>(bytes.size());
        append(bytes.data(), bytes.size());
    }
    void put(const std::string& text) { put(std::span<const char>(text.data(), text.size())); }
    // Bytes as they are, without their size (which the reader knows by then).
    void put_raw(std::span<const char> bytes) { append(bytes.data(), bytes.size()); }
    void put(Bytes&& bytes) {
        if (!attachments_ || bytes.size() < attachment_threshold) return put(std::span<const char>(bytes));
        put<std::uint64_t>(bytes.size());
        attachments_->push_back(std::move(bytes));
    }

private:
    void append(const void* data, std::size_t size) {
        if (size == 0) return;
        auto at = out_.size();
        out_.resize(at + size);
        std::memcpy(out_.data() + at, data, size);
    }

    Bytes& out_;
    std::vector<Bytes>* attachments_;
};

class Reader {
public:
    explicit Reader(std::span<const char> in, Attachments* attachments = nullptr) : in_(in), attachments_(attachments) {}

    template <class Int>
    Int get() {
        Int value;
        std::memcpy(&value, take(sizeof value).data(), sizeof value);
        return value;
    }
    Bytes get_bytes() {
        auto size = get<std::uint64_t>();
        if (attachments_ && size >= attachment_threshold) return attachments_->take(size);
        auto bytes = take(size);
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
    std::span<const char> get_raw(std::uint64_t n) { return take(n); }  // what put_raw wrote

private:
    std::span<const char> take(std::uint64_t n) {
        if (n > in_.size() - used_) throw ProtocolError("truncated message");
        auto part = in_.subspan(used_, static_cast<std::size_t>(n));
        used_ += static_cast<std::size_t>(n);
        return part;
    }

    std::span<const char> in_;
    Attachments* attachments_;
    std::size_t used_ = 0;
};

void put_spec(Writer& w, TaskSpec& spec) {
    w.put(spec.task);
    w.put(spec.invoker);
    w.put(spec.module);
    w.put(spec.offset);
    w.put(spec.retries);
    w.put(spec.attempt);
    w.put(spec.timeout_ns);
    w.put(spec.elements);
    w.put(spec.priority);
    w.put<std::uint8_t>(spec.broadcast ? 1 : 0);
    w.put<std::uint8_t>(spec.args_at_client ? 1 : 0);
    w.put(static_cast<std::uint32_t>(spec.resources.size()));
    for (const auto& [name, amount] : spec.resources) {
        w.put(name);
        w.put(amount);
    }
    w.put(static_cast<std::uint32_t>(spec.inputs.size()));
    for (const auto& input : spec.inputs) {
        w.put(input.task);
        w.put(input.element);
        w.put(input.holder);
    }
    w.put(std::move(spec.args));
}

TaskSpec get_spec(Reader& r) {
    TaskSpec spec;
    spec.task = r.get<TaskId>();
    spec.invoker = r.get<std::uint64_t>();
    spec.module = r.get<std::uint64_t>();
    spec.offset = r.get<std::uint64_t>();
    spec.retries = r.get<std::uint32_t>();
    spec.attempt = r.get<std::uint32_t>();
    spec.timeout_ns = r.get<std::uint64_t>();
    spec.elements = r.get<std::uint32_t>();
    spec.priority = r.get<std::int32_t>();
    spec.broadcast = r.get_bool();
    spec.args_at_client = r.get_bool();
    auto requests = r.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < requests; ++i) {
        auto name = r.get_string();
        auto amount = r.get<double>();
        if (!(amount > 0) || !std::isfinite(amount) || (!spec.resources.empty() && !(spec.resources.back().first < name)))
            throw ProtocolError("malformed task: its resource requests are not positive amounts in name order");
        spec.resources.emplace_back(std::move(name), amount);
    }
    auto inputs = r.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < inputs; ++i) {
        TaskInput input;
        input.task = r.get<TaskId>();
        input.element = r.get<std::uint32_t>();
        input.holder = r.get<std::int32_t>();
        if (input.task == 0 || input.task >= spec.task || input.holder < -1)
            throw ProtocolError("malformed task: an input is not an earlier task, or its holder is not a rank");
        spec.inputs.push_back(input);
    }
    spec.args = r.get_bytes();
    return spec;
}

Kind kind_of(const Message& message) {
    return static_cast<Kind>(message.index() + 1);  // Message lists the kinds in enum order
}

}  // namespace

Bytes Attachments::take(std::uint64_t size) {
    if (next_ == list_.size()) throw ProtocolError("a message refers to an attachment the frame does not have");
    if (list_[next_].size() != size) throw ProtocolError("an attachment's size differs from what its message says");
    return std::move(list_[next_++]);
}

void encode(Message message, Frame& frame) {
    Writer w(frame.head, &frame.attachments);
    w.put(kind_of(message));
    std::visit(
        [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, Submit> || std::is_same_v<M, Run> || std::is_same_v<M, Retry>) {
                put_spec(w, m.spec);
            } else if constexpr (std::is_same_v<M, Finished>) {
                w.put(m.task);
                w.put(m.outcome);
                w.put(std::move(m.payload));
            } else if constexpr (std::is_same_v<M, Done>) {
                w.put(m.task);
                w.put(m.run_nanoseconds);
                w.put<std::uint8_t>(m.held ? 1 : 0);
                w.put(m.held_bytes);
            } else if constexpr (std::is_same_v<M, Fetched>) {
                w.put(m.task);
                w.put(std::move(m.payload));
            } else if constexpr (std::is_same_v<M, Fetch> || std::is_same_v<M, Release> || std::is_same_v<M, Started>) {
                w.put(m.task);
            } else if constexpr (std::is_same_v<M, Drain> || std::is_same_v<M, Heartbeat>) {
                // no fields
            } else if constexpr (std::is_same_v<M, WorkerLost>) {
                w.put(m.worker);
            } else if constexpr (std::is_same_v<M, FetchInput>) {
                w.put(m.task);
                w.put(m.element);
            } else if constexpr (std::is_same_v<M, Input>) {
                w.put(m.task);
                w.put(m.element);
                w.put(m.outcome);
                w.put(std::move(m.payload));
            } else if constexpr (std::is_same_v<M, CollectEvents>) {
                w.put(m.asked_at);
            } else if constexpr (std::is_same_v<M, Events>) {
                w.put(m.asked_at);
                w.put(m.sent_at);
                w.put(std::move(m.batch));
            } else {
                static_assert(std::is_same_v<M, Shutdown> || std::is_same_v<M, Stop> || std::is_same_v<M, Failed>);
                w.put(m.status);
            }
        },
        message);
}

void seal(Frame& frame) {
    Writer w(frame.head);
    for (const auto& attachment : frame.attachments) w.put<std::uint64_t>(attachment.size());
    w.put(static_cast<std::uint32_t>(frame.attachments.size()));
}

AttachmentTable read_attachment_table(std::span<const char> sealed_head) {
    if (sealed_head.size() < sizeof(std::uint32_t)) throw ProtocolError("truncated frame: no attachment table");
    std::uint32_t count;
    std::memcpy(&count, sealed_head.data() + sealed_head.size() - sizeof count, sizeof count);
    auto table_size = std::uint64_t(count) * sizeof(std::uint64_t) + sizeof count;
    if (table_size > sealed_head.size()) throw ProtocolError("truncated frame: attachment table");
    AttachmentTable table;
    table.messages_size = sealed_head.size() - static_cast<std::size_t>(table_size);
    Reader r(sealed_head.subspan(table.messages_size));
    for (std::uint32_t i = 0; i < count; ++i) {
        auto size = r.get<std::uint64_t>();
        if (size < attachment_threshold) throw ProtocolError("an attachment smaller than the attachment threshold");
        table.sizes.push_back(size);
    }
    return table;
}

std::pair<Message, std::size_t> decode_one(std::span<const char> bytes, Attachments& attachments) {
    Reader r(bytes, &attachments);
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
        m.run_nanoseconds = r.get<std::uint64_t>();
        m.held = r.get_bool();
        m.held_bytes = r.get<std::uint64_t>();
        if (!m.held && m.held_bytes != 0) throw ProtocolError("malformed message: bytes held for a result not held");
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
    case Kind::retry: message = Retry{get_spec(r)}; break;
    case Kind::started: message = Started{r.get<TaskId>()}; break;
    case Kind::drain: message = Drain{}; break;
    case Kind::heartbeat: message = Heartbeat{}; break;
    case Kind::worker_lost: message = WorkerLost{r.get<std::int32_t>()}; break;
    case Kind::failed: message = Failed{r.get<std::int32_t>()}; break;
    case Kind::fetch_input: {
        FetchInput m;
        m.task = r.get<TaskId>();
        m.element = r.get<std::uint32_t>();
        message = m;
        break;
    }
    case Kind::input: {
        Input m;
        m.task = r.get<TaskId>();
        m.element = r.get<std::uint32_t>();
        auto outcome = r.get<std::uint8_t>();
        if (outcome != static_cast<std::uint8_t>(Outcome::value) && outcome != static_cast<std::uint8_t>(Outcome::error))
            throw ProtocolError("malformed message: an input's outcome is neither a value nor an error");
        m.outcome = static_cast<Outcome>(outcome);
        m.payload = r.get_bytes();
        message = std::move(m);
        break;
    }
    case Kind::collect_events: message = CollectEvents{r.get<std::int64_t>()}; break;
    case Kind::events: {
        Events m;
        m.asked_at = r.get<std::int64_t>();
        m.sent_at = r.get<std::int64_t>();
        m.batch = r.get_bytes();
        message = std::move(m);
        break;
    }
    default: throw ProtocolError("unknown message kind " + std::to_string(kind));
    }
    return {std::move(message), r.used()};
}

// The failure record (failure.hpp): its bytes follow the wire's conventions.
Bytes encode_failure(const TaskFailure& failure) {
    Bytes out;
    Writer w(out);
    w.put(failure.type_name);
    w.put(failure.message);
    w.put(failure.rank);
    w.put(failure.host);
    w.put(failure.attempts);
    w.put(static_cast<std::uint8_t>(failure.cause));
    return out;
}

TaskFailure decode_failure(std::span<const char> bytes) {
    Reader r(bytes);
    TaskFailure failure;
    failure.type_name = r.get_string();
    failure.message = r.get_string();
    failure.rank = r.get<std::int32_t>();
    failure.host = r.get_string();
    failure.attempts = r.get<std::int32_t>();
    auto cause = r.get<std::uint8_t>();
    if (cause > static_cast<std::uint8_t>(TaskError::Cause::undecodable))
        throw ProtocolError("malformed task failure: unknown cause " + std::to_string(cause));
    failure.cause = static_cast<TaskError::Cause>(cause);
    if (r.used() != bytes.size()) throw ProtocolError("malformed task failure: trailing bytes");
    return failure;
}

// The trace events: a count then fixed-width records, per kind.
Bytes encode_events(const EventBatch& batch) {
    Bytes out;
    out.reserve(4 * 8 + batch.attempts.size() * 65 + batch.element_runs.size() * sizeof(ElementRun) + batch.transfers.size() * 36 +
                batch.counters.size() * 32);
    Writer w(out);
    w.put(static_cast<std::uint64_t>(batch.attempts.size()));
    for (const auto& a : batch.attempts) {
        w.put(a.task);
        w.put(a.attempt);
        w.put(a.thread);
        w.put(a.queued_ns);
        w.put(a.start_ns);
        w.put(a.end_ns);
        w.put(a.ok);
        w.put(a.bytes_in);
        w.put(a.bytes_out);
        w.put(a.elements);
        w.put(a.element_runs);
    }
    w.put(static_cast<std::uint64_t>(batch.element_runs.size()));
    w.put_raw(std::span<const char>(reinterpret_cast<const char*>(batch.element_runs.data()),
                                    batch.element_runs.size() * sizeof(ElementRun)));
    w.put(static_cast<std::uint64_t>(batch.transfers.size()));
    for (const auto& t : batch.transfers) {
        w.put(t.task);
        w.put(t.from);
        w.put(t.bytes);
        w.put(t.start_ns);
        w.put(t.end_ns);
    }
    w.put(static_cast<std::uint64_t>(batch.counters.size()));
    for (const auto& c : batch.counters) {
        w.put(c.at_ns);
        w.put(c.queued);
        w.put(c.running);
        w.put(c.bytes_held);
        w.put(c.done);
    }
    return out;
}

EventBatch decode_events(std::span<const char> bytes) {
    Reader r(bytes);
    EventBatch batch;
    // Each count is checked against the bytes left before anything is reserved.
    auto count = [&](std::size_t record) {
        auto n = r.get<std::uint64_t>();
        if (n > (bytes.size() - r.used()) / record) throw ProtocolError("malformed trace events: a count past the end");
        return static_cast<std::size_t>(n);
    };
    batch.attempts.resize(count(8 + 4 + 4 + 8 * 3 + 1 + 8 * 2 + 4 + 4));
    std::uint64_t element_runs = 0;
    for (auto& a : batch.attempts) {
        a.task = r.get<std::uint64_t>();
        a.attempt = r.get<std::uint32_t>();
        a.thread = r.get<std::uint32_t>();
        a.queued_ns = r.get<std::int64_t>();
        a.start_ns = r.get<std::int64_t>();
        a.end_ns = r.get<std::int64_t>();
        a.ok = r.get<std::uint8_t>();
        if (a.ok > 1) throw ProtocolError("malformed trace events: an outcome flag is neither 0 nor 1");
        a.bytes_in = r.get<std::uint64_t>();
        a.bytes_out = r.get<std::uint64_t>();
        a.elements = r.get<std::uint32_t>();
        a.element_runs = r.get<std::uint32_t>();
        if (a.element_runs > 0 && a.elements == 0)
            throw ProtocolError("malformed trace events: element runs for a task that is no map's chunk");
        element_runs += a.element_runs;
    }
    batch.element_runs.resize(count(sizeof(ElementRun)));
    if (batch.element_runs.size() != element_runs)
        throw ProtocolError("malformed trace events: the chunks' element runs do not add up to those sent");
    // Any 16 bytes are an ElementRun (a run number of 0 is not made, and harmless).
    auto runs = r.get_raw(batch.element_runs.size() * sizeof(ElementRun));
    if (!runs.empty()) std::memcpy(static_cast<void*>(batch.element_runs.data()), runs.data(), runs.size());
    batch.transfers.resize(count(8 + 4 + 8 * 3));
    for (auto& t : batch.transfers) {
        t.task = r.get<std::uint64_t>();
        t.from = r.get<std::int32_t>();
        t.bytes = r.get<std::uint64_t>();
        t.start_ns = r.get<std::int64_t>();
        t.end_ns = r.get<std::int64_t>();
    }
    batch.counters.resize(count(8 + 4 + 4 + 8 + 8));
    for (auto& c : batch.counters) {
        c.at_ns = r.get<std::int64_t>();
        c.queued = r.get<std::uint32_t>();
        c.running = r.get<std::uint32_t>();
        c.bytes_held = r.get<std::uint64_t>();
        c.done = r.get<std::uint64_t>();
    }
    if (r.used() != bytes.size()) throw ProtocolError("malformed trace events: trailing bytes");
    return batch;
}

}  // namespace taskfarm::detail
