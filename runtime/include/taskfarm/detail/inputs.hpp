#pragma once
// Futures as arguments (task graphs): how a Future<T> argument is stored (an input slot), what
// the function may take for it, and how the invoker fills the slots from the task's inputs.

#include <taskfarm/detail/callable.hpp>
#include <taskfarm/detail/registry.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/serialize.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <vector>

namespace taskfarm::detail {

// Futures as arguments. client.submit(g, a), with `a` a Future<T>, runs g on a's result, a
// T, once a's task has finished; a std::vector<Future<T>> argument gives g a std::vector<T>.
// A Future cannot travel (it is a handle into the client's memory), so its slot among the
// stored arguments holds a marker that encodes (next to) nothing, and the task is sent with
// the list of tasks whose results it needs (Kind::inputs). The worker fetches those results
// and hands their bytes to the invoker (RunContext::inputs), which decodes each one where
// its marker stands.

template <class T>
constexpr bool is_future = false;
template <class T>
constexpr bool is_future<Future<T>> = true;

template <class T>
constexpr bool is_future_vector = false;
template <class T>
constexpr bool is_future_vector<std::vector<Future<T>>> = true;

// The slot of a Future<T> argument: the next input, decoded as a T. Encodes to nothing.
template <class T>
struct InputOf {
    InputOf() = default;
    explicit InputOf(const Future<T>&) {}
    template <class Archive>
    void serialize(Archive&) {}
};

// The slot of a std::vector<Future<T>> argument: the next `count` inputs, as a std::vector<T>.
// Encodes its count only, which is all the invoker needs to know.
template <class T>
struct InputsOf {
    std::uint64_t count = 0;
    InputsOf() = default;
    explicit InputsOf(const std::vector<Future<T>>& futures) : count(futures.size()) {}
    template <class Archive>
    void serialize(Archive& archive) {
        archive(count);
    }
};

template <class Slot>
constexpr bool is_input_slot = false;
template <class T>
constexpr bool is_input_slot<InputOf<T>> = true;
template <class T>
constexpr bool is_input_slot<InputsOf<T>> = true;

// What the function is called with for a slot: an input's result, else the stored argument.
template <class Slot>
struct SlotValue {
    using type = Slot;
};
template <class T>
struct SlotValue<InputOf<T>> {
    using type = T;
};
template <class T>
struct SlotValue<InputsOf<T>> {
    using type = std::vector<T>;
};
template <class Slot>
using slot_value_t = typename SlotValue<Slot>::type;

// What the caller passed for a slot: the Future(s) behind an input, else the stored argument.
template <class Slot>
struct SlotArgument {
    using type = Slot;
};
template <class T>
struct SlotArgument<InputOf<T>> {
    using type = Future<T>;
};
template <class T>
struct SlotArgument<InputsOf<T>> {
    using type = std::vector<Future<T>>;
};
template <class Slot>
using slot_argument_t = typename SlotArgument<Slot>::type;

// The slots of Future arguments that cannot be passed. Not serializable (no default
// constructor), so the task's kind is an UnsendableTask, and require_sendable_argument below
// says why; the compiler names the marker, with the types, next to the message.
template <class T, class Parameter>
struct ResultNotTaken {  // a Future<T> where the function takes Parameter
    ResultNotTaken() = delete;
};
template <class T, class Parameter>
struct ResultsNotTaken {  // a std::vector<Future<T>> where the function takes Parameter
    ResultsNotTaken() = delete;
};
template <class Parameter>
struct FutureParameter {  // the function takes a Future (or a std::vector of them)
    FutureParameter() = delete;
};
struct ResultlessFuture {  // a Future<void>: its task returns no value to pass
    ResultlessFuture() = delete;
};

template <class Slot>
constexpr bool is_result_not_taken = false;
template <class T, class Parameter>
constexpr bool is_result_not_taken<ResultNotTaken<T, Parameter>> = true;
template <class Slot>
constexpr bool is_results_not_taken = false;
template <class T, class Parameter>
constexpr bool is_results_not_taken<ResultsNotTaken<T, Parameter>> = true;
template <class Slot>
constexpr bool is_future_parameter = false;
template <class Parameter>
constexpr bool is_future_parameter<FutureParameter<Parameter>> = true;
template <class Slot>
constexpr bool is_refused_future_slot = is_result_not_taken<Slot> || is_results_not_taken<Slot> ||
                                        is_future_parameter<Slot> || std::is_same_v<Slot, ResultlessFuture>;

// The slot of an argument when the parameter list is unknown (a lambda, a function object):
// a Future's input marker, else the argument's own type.
template <class Arg>
struct ArgumentSlot {
    using type = Arg;
};
template <class T>
struct ArgumentSlot<Future<T>> {
    using type = InputOf<T>;
};
template <class T>
struct ArgumentSlot<std::vector<Future<T>>> {
    using type = InputsOf<T>;
};
template <>
struct ArgumentSlot<Future<void>> {
    using type = ResultlessFuture;
};
template <>
struct ArgumentSlot<std::vector<Future<void>>> {
    using type = ResultlessFuture;
};

// A parameter a result of type Value is passed to: Value itself or const Value& (decay_t says
// so; constructible from Value&& leaves out a Value&, to which a temporary does not bind).
template <class Parameter, class Value>
constexpr bool takes_value =
    std::is_same_v<std::decay_t<Parameter>, Value> && std::is_constructible_v<Parameter, Value&&>;

// The slot of an argument passed to a plain function's parameter: the parameter's type (so
// that submit(f, "text") works for f(std::string)), or for a Future the input marker when the
// parameter takes its result, else a marker of what is wrong.
template <class Parameter, class Arg>
struct ParameterSlot {
    using P = std::decay_t<Parameter>;
    using type = std::conditional_t<is_future<P> || is_future_vector<P>, FutureParameter<P>, P>;
};
template <class Parameter, class T>
struct ParameterSlot<Parameter, Future<T>> {
    using P = std::decay_t<Parameter>;
    using Taken = std::conditional_t<takes_value<Parameter, T>, InputOf<T>, ResultNotTaken<T, Parameter>>;
    using type = std::conditional_t<is_future<P> || is_future_vector<P>, FutureParameter<P>, Taken>;
};
template <class Parameter, class T>
struct ParameterSlot<Parameter, std::vector<Future<T>>> {
    using P = std::decay_t<Parameter>;
    using Taken = std::conditional_t<takes_value<Parameter, std::vector<T>>, InputsOf<T>, ResultsNotTaken<T, Parameter>>;
    using type = std::conditional_t<is_future<P> || is_future_vector<P>, FutureParameter<P>, Taken>;
};
template <class Parameter>
struct ParameterSlot<Parameter, Future<void>> {
    using type = ResultlessFuture;
};
template <class Parameter>
struct ParameterSlot<Parameter, std::vector<Future<void>>> {
    using type = ResultlessFuture;
};

// The TaskState of each Future among a task's arguments, in argument order (a vector's
// elements in turn): the tasks whose results are its inputs.
using InputTasks = std::vector<std::shared_ptr<TaskState>>;
template <class Arg>
void add_input_tasks(InputTasks&, const Arg&) {}
template <class T>
void add_input_tasks(InputTasks& tasks, const Future<T>& future) {
    tasks.push_back(FutureAccess::shared(future));
}
template <class T>
void add_input_tasks(InputTasks& tasks, const std::vector<Future<T>>& futures) {
    tasks.reserve(tasks.size() + futures.size());
    for (const auto& future : futures) tasks.push_back(FutureAccess::shared(future));
}

// Hands a run's inputs out in argument order. Fewer inputs than the slots take means the
// task and its inputs do not match: what it throws fails the run as undecodable (decoded()).
class InputReader {
public:
    explicit InputReader(std::span<const std::span<const char>> inputs) : inputs_(inputs) {}
    std::span<const char> next() {
        if (used_ == inputs_.size())
            throw std::length_error("taskfarm: the task's Future arguments take more inputs than the " +
                                    std::to_string(inputs_.size()) + " it was given");
        return inputs_[used_++];
    }
    std::size_t left() const { return inputs_.size() - used_; }

private:
    std::span<const std::span<const char>> inputs_;
    std::size_t used_ = 0;
};

// A slot as the function gets it: an ordinary argument as it is (moved), an input decoded.
template <class Slot>
Slot&& resolve_slot(Slot& slot, InputReader&) {
    return std::move(slot);
}
template <class T>
T resolve_slot(InputOf<T>&, InputReader& inputs) {
    return from_bytes<T>(inputs.next());
}
template <class T>
std::vector<T> resolve_slot(InputsOf<T>& slot, InputReader& inputs) {
    std::vector<T> values;
    // At most what is left: a count that does not match the inputs throws before it allocates.
    values.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(slot.count, inputs.left())));
    for (std::uint64_t i = 0; i < slot.count; ++i) values.push_back(from_bytes<T>(inputs.next()));
    return values;
}

// The tuple a function is called with: each slot of `stored` (a tuple of Slot..., or of
// references to them) resolved, in argument order: the elements of a braced list are evaluated
// left to right, so the inputs are read in the order the arguments name them.
template <class... Slot, class StoredTuple>
std::tuple<slot_value_t<Slot>...> resolve_slots(StoredTuple& stored, InputReader& inputs) {
    return std::apply([&](auto&... slot) { return std::tuple<slot_value_t<Slot>...>{resolve_slot(slot, inputs)...}; },
                      stored);
}

// The message for a callable whose parameter list is not known (a lambda, a function object)
// that cannot be called with the results of its Future arguments.
template <class Fn, class... Slots>
constexpr void require_callable_with_results() {
    constexpr bool takes_futures = std::is_invocable_v<Fn&, slot_argument_t<Slots>&&...>;
    if constexpr (takes_futures) {
        static_assert(!takes_futures,
                      "taskfarm: a task's function cannot take a Future: Futures cannot travel to the worker. "
                      "Pass the Future as the argument and take its result: T (or const T&) for a Future<T>, "
                      "std::vector<T> for a std::vector<Future<T>>; the task runs once those tasks have "
                      "finished.");
    } else {
        static_assert(std::is_invocable_v<Fn&, slot_value_t<Slots>&&...>,
                      "taskfarm: the function cannot be called with these arguments as the worker passes them: "
                      "a Future<T> argument is passed as its result, a T, and a std::vector<Future<T>> as a "
                      "std::vector<T>: the function must take T (or const T&) where it is given a Future<T>.");
    }
}

}  // namespace taskfarm::detail
