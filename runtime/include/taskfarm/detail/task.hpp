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
concept stateless_callable =
    std::is_class_v<Fn> && std::is_empty_v<Fn> && std::default_initializable<Fn>;

template <class Fn>
concept shippable = function_pointer<Fn> || stateless_callable<Fn>;

template <class Fn>
constexpr void require_shippable() {
    static_assert(shippable<Fn>,
                  "taskfarm: this callable cannot be sent to a worker. A capturing lambda holds "
                  "state that lives only in this process: pass the captured values as arguments "
                  "instead, e.g. client.submit([](int x, double k) { ... }, x, k), or use a plain "
                  "function.");
}

template <class Fn, class... Args>
using task_result_t = std::invoke_result_t<Fn&, Args&&...>;

template <class Fn, class... Args>
struct TaskKind {
    using Result = task_result_t<Fn, Args...>;

    static Bytes invoke(FunctionAddress function, std::span<const char> arg_bytes) {
        auto args = tuple_from_bytes<Args...>(arg_bytes);
        auto call = [&]() -> decltype(auto) {
            if constexpr (function_pointer<Fn>) {
                auto fn = reinterpret_cast<Fn>(const_cast<void*>(function_at(function)));
                return std::apply(fn, std::move(args));
            } else {
                Fn fn{};
                return std::apply(fn, std::move(args));
            }
        };
        if constexpr (std::is_void_v<Result>) {
            call();
            return {};
        } else {
            return to_bytes<std::decay_t<Result>>(call());
        }
    }

    // Initialised before main on every rank: the same binary has the same instantiations.
    static inline const std::uint64_t key = register_invoker(typeid(TaskKind).name(), &invoke);
};

struct TaskCode {
    std::uint64_t invoker = 0;
    FunctionAddress function;
};

template <class Fn, class... Args>
TaskCode task_code(const Fn& fn) {
    require_shippable<Fn>();
    TaskCode code{TaskKind<Fn, Args...>::key, {}};
    if constexpr (function_pointer<Fn>) code.function = address_of_function(reinterpret_cast<const void*>(fn));
    return code;
}

}  // namespace taskfarm::detail
