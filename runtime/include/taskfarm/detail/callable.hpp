#pragma once
// What a callable must be to travel to another process of the same binary.

#include <taskfarm/serialize.hpp>

#include <concepts>
#include <type_traits>

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

}  // namespace taskfarm::detail
