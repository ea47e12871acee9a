#pragma once
// The invoker that runs a task on a worker (TaskKind), and the kind of task a call makes
// (task_kind_t): a TaskKind, or an UnsendableTask that only says why the call cannot travel.
// What a callable must be: callable.hpp; Future arguments: inputs.hpp; chunks: chunk.hpp.

#include <taskfarm/detail/callable.hpp>
#include <taskfarm/detail/chunk.hpp>
#include <taskfarm/detail/inputs.hpp>
#include <taskfarm/detail/registry.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace taskfarm {
class Client;  // named here only to refuse it as an argument
}

namespace taskfarm::detail {

// An argument that cannot travel gets one message that says what to pass instead. The
// general one (require_serializable) says how to make a type travel, which is wrong advice
// for the Client or a lambda: they should not travel at all; nor for a Future, whose result
// travels instead.
template <class T>
constexpr void require_sendable_argument() {
    constexpr bool is_client = std::is_same_v<std::remove_cv_t<std::remove_pointer_t<T>>, Client>;
    constexpr bool is_function = !serializable<T> && (function_pointer<T> || function_object<T>);
    if constexpr (is_result_not_taken<T>) {
        static_assert(!is_result_not_taken<T>,
                      "taskfarm: a Future<T> argument is passed as its result, a T: the function must take T (or "
                      "const T&) here (the compiler names both types in the lines around this message: "
                      "ResultNotTaken<T, the parameter's type>).");
    } else if constexpr (is_results_not_taken<T>) {
        static_assert(!is_results_not_taken<T>,
                      "taskfarm: a std::vector<Future<T>> argument is passed as its results, a std::vector<T>: the "
                      "function must take std::vector<T> (or const std::vector<T>&) here (the compiler names both "
                      "types in the lines around this message: ResultsNotTaken<T, the parameter's type>).");
    } else if constexpr (is_future_parameter<T>) {
        // The same text as in require_callable_with_results, for a plain function.
        static_assert(!is_future_parameter<T>,
                      "taskfarm: a task's function cannot take a Future: Futures cannot travel to the worker. "
                      "Pass the Future as the argument and take its result: T (or const T&) for a Future<T>, "
                      "std::vector<T> for a std::vector<Future<T>>; the task runs once those tasks have "
                      "finished.");
    } else if constexpr (std::is_same_v<T, ResultlessFuture>) {
        static_assert(!std::is_same_v<T, ResultlessFuture>,
                      "taskfarm: a Future<void> cannot be an argument: its task returns no value to pass. Have "
                      "that task return a value (a count, a file name) and pass its Future; or wait for it "
                      "(future.wait()) before submitting the task that needs it.");
    } else if constexpr (is_client) {
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

// The types a task's arguments are stored as, its slots: a plain function's parameter types
// (so that submit(f, "text") works for f(std::string)), else the decayed argument types; a
// Future argument as its input marker (ParameterSlot, ArgumentSlot).
template <class Fn, class... Args>
struct StoredArgs {
    using type = std::tuple<typename ArgumentSlot<std::decay_t<Args>>::type...>;
};
template <class R, class... Params, class... Args>
    requires(sizeof...(Params) == sizeof...(Args))
struct StoredArgs<R (*)(Params...), Args...> {
    using type = std::tuple<typename ParameterSlot<Params, std::decay_t<Args>>::type...>;
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

template <class Fn, class StoredTuple>
struct TaskKind;

template <class Fn, class... Stored>
struct TaskKind<Fn, std::tuple<Stored...>> {
    static_assert(std::is_invocable_v<Fn&, slot_value_t<Stored>&&...>,
                  "taskfarm: the function cannot be called with these arguments");
    using Result = std::invoke_result_t<Fn&, slot_value_t<Stored>&&...>;

    // True when some argument is a Future (or a std::vector of them): each run then needs its
    // inputs, which a map's chunk cannot carry per element, so such tasks are never chunked.
    static constexpr bool has_inputs = (is_input_slot<Stored> || ...);

    // What the function is called with: the stored arguments, each input slot replaced by its
    // result(s). Without input slots, the stored arguments themselves.
    using Arguments = std::tuple<slot_value_t<Stored>...>;

    static Bytes invoke(FunctionAddress function, std::span<const char> bytes, const RunContext& context) {
        if constexpr (function_pointer<Fn>) {
            auto fn = reinterpret_cast<Fn>(const_cast<void*>(function_at(function)));
            return call(fn, decode_arguments(bytes, context.inputs));
        } else if constexpr (stateless_callable<Fn>) {
            Fn fn{};
            return call(fn, decode_arguments(bytes, context.inputs));
        } else {
            auto all = decoded([&] { return tuple_from_bytes<Fn, Stored...>(bytes); });
            return std::apply(
                [&](Fn& fn, Stored&... args) {
                    std::tuple<Stored&...> stored(args...);
                    if constexpr (has_inputs)
                        return call(fn, decoded([&] { return with_inputs(stored, context.inputs); }));
                    else return call(fn, std::move(stored));
                },
                all);
        }
    }

    template <class... Args>
    static Bytes encode(const Fn& fn, const Args&... args) {
        if constexpr (stateful_callable<Fn>) return to_bytes(fn, as_stored<Stored>(args)...);
        else return to_bytes(as_stored<Stored>(args)...);
    }

    // The tasks whose results are this task's inputs, in the order the invoker reads them:
    // each Future argument's, a std::vector<Future<T>>'s elements in turn. Throws UsageError
    // for a Future that has no task.
    template <class... Args>
    static InputTasks inputs(const Args&... args) {
        InputTasks tasks;
        if constexpr (has_inputs) (add_input_tasks(tasks, args), ...);
        return tasks;
    }

    // Runs every element of a chunk (see ChunkWriter); one element's exception fails that
    // element only, after its retries. Arguments that do not decode fail that element and
    // every one after it. Chunks are not made of tasks with inputs (has_inputs); were one
    // sent, its elements would take the inputs one after the other, in element order.
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
            InputReader inputs(limits.inputs);
            Bytes out;
            for (std::uint32_t i = 0; i < count; ++i) {
                Arguments args;
                try {
                    decoded([&] {
                        if constexpr (has_inputs) {
                            std::tuple<Stored...> stored;
                            std::apply([&](auto&... a) { (read_one(buffer, archive, a), ...); }, stored);
                            args = resolve_slots<Stored...>(stored, inputs);
                        } else {
                            std::apply([&](auto&... a) { (read_one(buffer, archive, a), ...); }, args);
                        }
                    });
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
    static inline const std::uint64_t key = register_invoker(typeid(TaskKind).name(), &invoke, typeid(Fn).name());
    static inline const std::uint64_t chunk_key =
        register_invoker((std::string("chunk of ") + typeid(TaskKind).name()).c_str(), &invoke_chunk, typeid(Fn).name());

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

    // A plain task's arguments as the function takes them, from their bytes and its inputs.
    static Arguments decode_arguments(std::span<const char> bytes, std::span<const std::span<const char>> inputs) {
        if constexpr (has_inputs) {
            return decoded([&] {
                auto stored = tuple_from_bytes<Stored...>(bytes);
                return with_inputs(stored, inputs);
            });
        } else {
            return decoded([&] { return tuple_from_bytes<Stored...>(bytes); });
        }
    }

    // A plain task's stored arguments (a tuple of Stored..., or of references to them) with
    // its inputs in their slots. The inputs must be exactly those the slots take: fewer or
    // more means the task and its inputs do not match, and throws (inside decoded(): the
    // arguments are then undecodable).
    template <class StoredTuple>
    static Arguments with_inputs(StoredTuple& stored, std::span<const std::span<const char>> inputs) {
        InputReader reader(inputs);
        auto resolved = resolve_slots<Stored...>(stored, reader);
        if (reader.left() != 0)
            throw std::length_error("taskfarm: the task was given " + std::to_string(inputs.size()) +
                                    " inputs, more than its Future arguments take");
        return resolved;
    }

    // limits.around_element, if any, around one run of one element.
    class ElementScope {
    public:
        ElementScope(ElementHook* hook, std::uint32_t index) : hook_(hook), exceptions_(std::uncaught_exceptions()) {
            if (hook_) hook_->begin(index);
        }
        ~ElementScope() {
            if (hook_) hook_->end(std::uncaught_exceptions() > exceptions_);  // the run threw
        }
        ElementScope(const ElementScope&) = delete;
        ElementScope& operator=(const ElementScope&) = delete;

    private:
        ElementHook* hook_;
        int exceptions_;
    };

    // One element of a chunk, with its retries (has_runs_left); a run over the time limit
    // counts as failed. Arguments that cannot be copied are moved into the first run, so
    // there is no second.
    template <class Callable>
    static void run_element(Callable& fn, Arguments args, const RunContext& limits, std::uint32_t index, Bytes& out) {
        constexpr bool retriable = std::is_copy_constructible_v<Arguments>;
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
                        result = last ? call(fn, std::move(args)) : call(fn, Arguments(args));
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

// The return type a callable declares, found without calling it: a plain function's, or that
// of the one operator() of a lambda or function object; else void.
template <class Fn>
struct DeclaredResult {
    using type = void;
};
template <class R, class... P>
struct DeclaredResult<R (*)(P...)> {
    using type = R;
};
template <class R, class... P>
struct DeclaredResult<R (*)(P...) noexcept> {
    using type = R;
};
template <class R, class C, class... P>
struct DeclaredResult<R (C::*)(P...)> {
    using type = R;
};
template <class R, class C, class... P>
struct DeclaredResult<R (C::*)(P...) const> {
    using type = R;
};
template <class R, class C, class... P>
struct DeclaredResult<R (C::*)(P...) noexcept> {
    using type = R;
};
template <class R, class C, class... P>
struct DeclaredResult<R (C::*)(P...) const noexcept> {
    using type = R;
};
template <class Fn>
    requires function_object<Fn>
struct DeclaredResult<Fn> : DeclaredResult<decltype(&Fn::operator())> {};

// A task whose function or arguments cannot travel: it only says why (require_shippable,
// require_sendable_argument, require_callable_with_results) and encodes and decodes nothing,
// so that our message is the compiler's only error rather than the first of a page from
// cereal (raw pointers) and std::tuple or TaskKind (no default constructor).
template <class Fn, class... Stored>
struct UnsendableTask {
    // What the task would return, so that the caller's code around the Future compiles: what
    // the function returns for these arguments, or when it cannot be called with them (a Future
    // of the wrong type) the return type it declares. A refused Future slot is not tried as
    // an argument: a generic lambda's body would be compiled with the marker.
    template <class F, class... S>
    struct Returns {
        using type = typename DeclaredResult<F>::type;
    };
    template <class F, class... S>
        requires(!(is_refused_future_slot<S> || ...)) && std::is_invocable_v<F&, slot_value_t<S>&...>
    struct Returns<F, S...> {
        using type = std::invoke_result_t<F&, slot_value_t<S>&...>;
    };
    using Result = typename Returns<Fn, Stored...>::type;

    static constexpr bool has_inputs = false;

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
    static InputTasks inputs(const Args&...) {
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
        // Every slot can travel, but the function cannot take the Futures' results.
        if constexpr (shippable<Fn> && (serializable<Stored> && ...)) require_callable_with_results<Fn, Stored...>();
    }
};

// A function whose parameter list is unknown (a lambda, a function object) must be callable
// with its Future arguments' results; a plain function's parameters were checked slot by
// slot (ParameterSlot). A struct, so that std::conjunction asks only when the slots can
// travel: the check would compile a generic lambda's body with a refused slot's marker.
template <class Fn, class... Stored>
struct CallableWithInputs
    : std::bool_constant<!(is_input_slot<Stored> || ...) || function_pointer<Fn> ||
                         std::is_invocable_v<Fn&, slot_value_t<Stored>&&...>> {};

// The kind of task submit and map make: a TaskKind when the function and every argument can
// travel, else an UnsendableTask, which only says why not.
template <class Fn, class StoredTuple>
struct SendableKind;
template <class Fn, class... Stored>
struct SendableKind<Fn, std::tuple<Stored...>> {
    static constexpr bool sendable = std::conjunction_v<std::bool_constant<shippable<Fn> && (serializable<Stored> && ...)>,
                                                        CallableWithInputs<Fn, Stored...>>;
    using type = std::conditional_t<sendable, TaskKind<Fn, std::tuple<Stored...>>, UnsendableTask<Fn, Stored...>>;
};

template <class Fn, class... Args>
using task_kind_t = typename SendableKind<Fn, typename StoredArgs<Fn, Args...>::type>::type;

}  // namespace taskfarm::detail
