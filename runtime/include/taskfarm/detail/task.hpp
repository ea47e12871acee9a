#pragma once
// What a callable must be to travel, and the invoker that runs it on a worker.

#include <taskfarm/detail/registry.hpp>
#include <taskfarm/serialize.hpp>

#include <concepts>
#include <functional>
#include <tuple>
#include <type_traits>
#include <typeinfo>

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

template <class Fn, class StoredTuple>
struct TaskKind;

template <class Fn, class... Stored>
struct TaskKind<Fn, std::tuple<Stored...>> {
    static_assert(std::is_invocable_v<Fn&, Stored&&...>,
                  "taskfarm: the function cannot be called with these arguments");
    using Result = std::invoke_result_t<Fn&, Stored&&...>;

    static Bytes invoke(FunctionAddress function, std::span<const char> bytes) {
        if constexpr (function_pointer<Fn>) {
            auto fn = reinterpret_cast<Fn>(const_cast<void*>(function_at(function)));
            return call(fn, tuple_from_bytes<Stored...>(bytes));
        } else if constexpr (stateless_callable<Fn>) {
            Fn fn{};
            return call(fn, tuple_from_bytes<Stored...>(bytes));
        } else {
            auto all = tuple_from_bytes<Fn, Stored...>(bytes);
            return std::apply([](Fn& fn, Stored&... args) { return call(fn, std::tuple<Stored&...>(args...)); }, all);
        }
    }

    template <class... Args>
    static Bytes encode(const Fn& fn, const Args&... args) {
        if constexpr (stateful_callable<Fn>) return to_bytes(fn, as_stored<Stored>(args)...);
        else return to_bytes(as_stored<Stored>(args)...);
    }

    static TaskCode code(const Fn& fn) {
        TaskCode code{key, {}};
        if constexpr (function_pointer<Fn>) code.function = address_of_function(reinterpret_cast<const void*>(fn));
        return code;
    }

    // Initialised before main on every rank: the same binary has the same instantiations.
    static inline const std::uint64_t key = register_invoker(typeid(TaskKind).name(), &invoke);

private:
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

template <class Fn, class... Args>
using task_kind_t = TaskKind<Fn, typename StoredArgs<Fn, Args...>::type>;

}  // namespace taskfarm::detail
