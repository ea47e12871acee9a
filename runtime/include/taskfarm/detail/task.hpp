#pragma once
// What a callable must be to travel, and the invoker that runs it on a worker.

#include <taskfarm/detail/registry.hpp>
#include <taskfarm/serialize.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>

namespace taskfarm {
class Client;  // named here only to refuse it as an argument
}

namespace taskfarm::detail {

template <class Fn>
concept function_pointer = std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>;

// A captureless lambda or empty function object: any rank can make one from nothing.
template <class Fn>
concept stateless_callable = std::is_class_v<Fn> && std::is_empty_v<Fn> && std::default_initializable<Fn>;

// A function object whose state travels with each task.
template <class Fn>
concept stateful_callable = std::is_class_v<Fn> && !stateless_callable<Fn> && serializable<Fn>;

template <class Fn>
concept shippable = function_pointer<Fn> || stateless_callable<Fn> || stateful_callable<Fn>;

template <class Fn>
constexpr void require_shippable() {
    static_assert(shippable<Fn>,
                  "taskfarm: this callable cannot be sent to a worker. A capturing lambda holds "
                  "state that lives only in this process: pass the captured values as arguments "
                  "instead, e.g. client.submit([](int x, double k) { ... }, x, k); or use a plain "
                  "function; or a struct with operator() and a serialize member, whose state "
                  "travels with each task.");
}

// A class with one operator(): a lambda, a std::function, a function object.
template <class T>
concept function_object = std::is_class_v<T> && requires { &T::operator(); };

// An argument that cannot travel gets one message that says what to pass instead. The
// general one (require_serializable) says how to make a type travel, which is wrong advice
// for the Client or a lambda: they should not travel at all.
template <class T>
constexpr void require_sendable_argument() {
    constexpr bool is_client = std::is_same_v<std::remove_cv_t<std::remove_pointer_t<T>>, Client>;
    constexpr bool is_function = !serializable<T> && (function_pointer<T> || function_object<T>);
    if constexpr (is_client) {
        static_assert(!is_client,
                      "taskfarm: the Client cannot be an argument: tasks run on workers, which have no "
                      "client. Pass the values the task needs; to submit more work with a task's "
                      "result, do it in the client's code once the result is back (future.get()).");
    } else if constexpr (is_function) {
        static_assert(!is_function,
                      "taskfarm: a function cannot be an argument: a capturing lambda, a "
                      "std::function or a function pointer holds state or code that live only in "
                      "this process. Pass the values it uses as arguments instead and do the work in "
                      "the task itself, e.g. client.submit([](int x, double k) { return scale(x, k); "
                      "}, x, k); or make it a struct with operator() and a serialize member, whose "
                      "state travels.");
    } else {
        require_serializable<T>();
    }
}

// The types a task's arguments are stored as: a plain function's parameter types (so that
// submit(f, "text") works for f(std::string)), else the decayed argument types.
template <class Fn, class... Args>
struct StoredArgs {
    using type = std::tuple<std::decay_t<Args>...>;
};
template <class R, class... Params, class... Args>
    requires(sizeof...(Params) == sizeof...(Args))
struct StoredArgs<R (*)(Params...), Args...> {
    using type = std::tuple<std::decay_t<Params>...>;
};

// An argument as the type it is stored as: itself when it already is, else converted.
template <class Stored, class Arg>
decltype(auto) as_stored(const Arg& arg) {
    if constexpr (std::is_same_v<Stored, Arg>) return (arg);
    else return Stored(arg);
}

struct TaskCode {
    std::uint64_t invoker = 0;
    FunctionAddress function;
};

// The retry rule, for every run that may be followed by another: a worker's task and the
// inline client's (runs_again, src/attempt.hpp), and an element of a chunk (run_element
// below). A failed run numbered `attempt` (1 for the first) runs again while attempt <=
// retries, the runs allowed after failed ones.
constexpr bool has_runs_left(std::uint32_t attempt, std::uint32_t retries) { return attempt <= retries; }

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

template <class Fn, class StoredTuple>
struct TaskKind;

template <class Fn, class... Stored>
struct TaskKind<Fn, std::tuple<Stored...>> {
    static_assert(std::is_invocable_v<Fn&, Stored&&...>,
                  "taskfarm: the function cannot be called with these arguments");
    using Result = std::invoke_result_t<Fn&, Stored&&...>;

    static Bytes invoke(FunctionAddress function, std::span<const char> bytes, const RunContext&) {
        if constexpr (function_pointer<Fn>) {
            auto fn = reinterpret_cast<Fn>(const_cast<void*>(function_at(function)));
            return call(fn, decoded([&] { return tuple_from_bytes<Stored...>(bytes); }));
        } else if constexpr (stateless_callable<Fn>) {
            Fn fn{};
            return call(fn, decoded([&] { return tuple_from_bytes<Stored...>(bytes); }));
        } else {
            auto all = decoded([&] { return tuple_from_bytes<Fn, Stored...>(bytes); });
            return std::apply([](Fn& fn, Stored&... args) { return call(fn, std::tuple<Stored&...>(args...)); }, all);
        }
    }

    template <class... Args>
    static Bytes encode(const Fn& fn, const Args&... args) {
        if constexpr (stateful_callable<Fn>) return to_bytes(fn, as_stored<Stored>(args)...);
        else return to_bytes(as_stored<Stored>(args)...);
    }

    // Runs every element of a chunk (see ChunkWriter); one element's exception fails that
    // element only, after its retries. Arguments that do not decode fail that element and
    // every one after it.
    static Bytes invoke_chunk(FunctionAddress function, std::span<const char> bytes, const RunContext& limits) {
        ReadBuffer buffer;
        buffer.source(bytes);
        std::istream stream(&buffer);
        cereal::BinaryInputArchive archive(stream);
        auto run_all = [&](auto& fn) {
            auto count = decoded([&] {
                std::uint32_t elements = 0;
                archive(elements);
                return elements;
            });
            Bytes out;
            for (std::uint32_t i = 0; i < count; ++i) {
                std::tuple<Stored...> args;
                try {
                    decoded([&] { std::apply([&](auto&... a) { (read_one(buffer, archive, a), ...); }, args); });
                } catch (...) {
                    auto failure = encode_current_exception();
                    for (; i < count; ++i) append_outcome(out, ElementOutcome::failed, failure);
                    break;
                }
                run_element(fn, std::move(args), limits, i, out);
            }
            return out;
        };
        if constexpr (function_pointer<Fn>) {
            auto fn = reinterpret_cast<Fn>(const_cast<void*>(function_at(function)));
            return run_all(fn);
        } else if constexpr (stateless_callable<Fn>) {
            Fn fn{};
            return run_all(fn);
        } else {
            Fn fn{};
            decoded([&] { read_one(buffer, archive, fn); });
            return run_all(fn);
        }
    }

    template <class... Args>
    static void add_element(ChunkWriter& writer, const Args&... args) {
        writer.add(as_stored<Stored>(args)...);
    }

    static TaskCode code(const Fn& fn, bool chunk = false) {
        TaskCode code{chunk ? chunk_key : key, {}};
        if constexpr (function_pointer<Fn>) code.function = address_of_function(reinterpret_cast<const void*>(fn));
        return code;
    }

    // Initialised before main on every rank: the same binary has the same instantiations.
    static inline const std::uint64_t key = register_invoker(typeid(TaskKind).name(), &invoke);
    static inline const std::uint64_t chunk_key =
        register_invoker((std::string("chunk of ") + typeid(TaskKind).name()).c_str(), &invoke_chunk);

private:
    // Returns read(); what it throws is the arguments' fault, so their failure says they could
    // not be decoded (TaskError::Cause::undecodable) rather than blame the function.
    template <class Read>
    static decltype(auto) decoded(Read&& read) {
        try {
            return read();
        } catch (...) {
            throw_undecodable_arguments();
        }
    }

    // limits.around_element, if any, around one run of one element.
    class ElementScope {
    public:
        ElementScope(ElementHook* hook, std::uint32_t index) : hook_(hook) {
            if (hook_) hook_->begin(index);
        }
        ~ElementScope() {
            if (hook_) hook_->end();
        }
        ElementScope(const ElementScope&) = delete;
        ElementScope& operator=(const ElementScope&) = delete;

    private:
        ElementHook* hook_;
    };

    // One element of a chunk, with its retries (has_runs_left); a run over the time limit
    // counts as failed. Arguments that cannot be copied are moved into the first run, so
    // there is no second.
    template <class Callable>
    static void run_element(Callable& fn, std::tuple<Stored...> args, const RunContext& limits, std::uint32_t index,
                            Bytes& out) {
        constexpr bool retriable = std::is_copy_constructible_v<std::tuple<Stored...>>;
        for (std::uint32_t run = 1;; ++run) {
            bool last = !retriable || !has_runs_left(run, limits.retries);
            auto attempt = static_cast<std::int32_t>(run);  // as the failure record counts it
            // Timed only when there is a limit: a tiny element costs less than two clock reads.
            auto started = limits.timeout_ns ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
            try {
                Bytes result;
                {
                    ElementScope scope(limits.around_element, index);
                    if constexpr (retriable)
                        result = last ? call(fn, std::move(args)) : call(fn, std::tuple<Stored...>(args));
                    else result = call(fn, std::move(args));
                }
                if (limits.timeout_ns == 0) {
                    append_outcome(out, ElementOutcome::ok, result);
                    return;
                }
                auto ran = std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now() - started).count());
                if (ran <= limits.timeout_ns) {
                    append_outcome(out, ElementOutcome::ok, result);
                    return;
                }
                if (last) {
                    append_outcome(out, ElementOutcome::failed, encode_timeout(ran, limits.timeout_ns, attempt));
                    return;
                }
            } catch (...) {
                if (last) {
                    append_outcome(out, ElementOutcome::failed, encode_current_exception(attempt));
                    return;
                }
            }
        }
    }

    template <class Callable, class Tuple>
    static Bytes call(Callable& fn, Tuple&& args) {
        if constexpr (std::is_void_v<Result>) {
            std::apply([&](auto&&... a) { std::invoke(fn, std::move(a)...); }, args);
            return {};
        } else {
            require_serializable<std::decay_t<Result>>();
            return to_bytes<std::decay_t<Result>>(std::apply([&](auto&&... a) { return std::invoke(fn, std::move(a)...); }, args));
        }
    }
};

// A task whose function or arguments cannot travel: it only says why (require_shippable,
// require_sendable_argument) and encodes and decodes nothing, so that our message is the
// compiler's only error rather than the first of a page from cereal (raw pointers) and
// std::tuple or TaskKind (no default constructor).
template <class Fn, class... Stored>
struct UnsendableTask {
    // What the task would return, so that the caller's code around the Future compiles.
    template <class F, class... S>
    struct Returns {
        using type = void;
    };
    template <class F, class... S>
        requires std::is_invocable_v<F&, S&...>
    struct Returns<F, S...> {
        using type = std::invoke_result_t<F&, S&...>;
    };
    using Result = typename Returns<Fn, Stored...>::type;

    static TaskCode code(const Fn&, bool = false) {
        say_why();
        return {};
    }
    template <class... Args>
    static Bytes encode(const Fn&, const Args&...) {
        say_why();
        return {};
    }
    template <class... Args>
    static void add_element(ChunkWriter&, const Args&...) {
        say_why();
    }

private:
    static constexpr void say_why() {
        require_shippable<Fn>();
        (require_sendable_argument<Stored>(), ...);
    }
};

// The kind of task submit and map make: a TaskKind when the function and every argument can
// travel, else an UnsendableTask, which only says why not.
template <class Fn, class StoredTuple>
struct SendableKind;
template <class Fn, class... Stored>
struct SendableKind<Fn, std::tuple<Stored...>> {
    using type = std::conditional_t<shippable<Fn> && (serializable<Stored> && ...), TaskKind<Fn, std::tuple<Stored...>>,
                                    UnsendableTask<Fn, Stored...>>;
};

template <class Fn, class... Args>
using task_kind_t = typename SendableKind<Fn, typename StoredArgs<Fn, Args...>::type>::type;

}  // namespace taskfarm::detail
