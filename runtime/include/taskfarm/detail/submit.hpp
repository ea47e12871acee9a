#pragma once
// How calls become tasks: one task for submit, or the elements of a map (or of a lazy map,
// a few chunks at a time) cut into tasks of `chunk` elements. Client and the lazy maps'
// MapFeed both go through here, to the farm's ClientCore (compiled in src/client.cpp).

#include <taskfarm/detail/task.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/options.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace taskfarm::detail {

class ClientCore;

// inputs: the tasks (or elements of a map) whose results are this task's Future arguments,
// in the order the invoker reads them (RunContext::inputs).
// broadcast: the task runs on every worker, each keeping its result (Client::broadcast).
std::shared_ptr<TaskState> submit_task(ClientCore& core, const TaskCode& code, Bytes args, const TaskOptions& options,
                                       std::vector<std::shared_ptr<TaskState>> inputs = {}, bool broadcast = false);
// One task for `count` elements of a map; returns a state per element.
std::vector<std::shared_ptr<TaskState>> submit_chunk(ClientCore& core, const TaskCode& code, Bytes args,
                                                     std::uint32_t count, const TaskOptions& options);
// How many elements of an n-element map go in one task.
std::size_t map_chunk(const ClientCore& core, std::size_t n);

// How a lazy map is cut: elements per task, and elements in flight at most.
struct LazyMapCut {
    std::size_t chunk;
    std::size_t in_flight;
};
// n: the inputs' length when known. in_flight: the user's bound, 0 for the default.
LazyMapCut lazy_map_cut(const ClientCore& core, std::optional<std::size_t> n, std::size_t in_flight);

// One task; its Future arguments' tasks are its inputs (Kind::inputs, which throws UsageError
// for a Future that has no task: before anything is encoded or sent).
template <class Kind, class Callable, class... Args>
Future<typename Kind::Result> submit_one(ClientCore& core, const TaskOptions& options, const Callable& callable,
                                         const Args&... args) {
    auto inputs = Kind::inputs(args...);
    return FutureAccess::make<typename Kind::Result>(
        submit_task(core, Kind::code(callable), Kind::encode(callable, args...), options, std::move(inputs)));
}

// A value the farm keeps (Client::scatter, Client::broadcast): a task that returns it, run on
// one worker or, with `everywhere`, on every worker; each keeps its copy like any result.
template <class T>
struct Keep {
    T operator()(T value) const { return value; }
};
template <class T>
Future<T> submit_value(ClientCore& core, const T& value, bool everywhere) {
    static_assert(!is_future<T> && !is_future_vector<T>,
                  "taskfarm: scatter and broadcast place a value; a Future's result is in the farm already");
    using KeepTask = task_kind_t<Keep<T>, T>;
    Keep<T> keep;
    TaskOptions once;
    once.retries = 0;
    once.name = everywhere ? "broadcast" : "scatter";  // in the trace
    return FutureAccess::make<typename KeepTask::Result>(
        submit_task(core, KeepTask::code(keep), KeepTask::encode(keep, value), once, {}, everywhere));
}

// Submits callable over the elements the iterators `positions` are at, taken side by side and
// advanced past those taken, until one reaches its end in `ends` or `limit` elements are
// taken: `chunk` elements per task (1: a task each). Appends each element's Future to `out`
// as soon as its task is submitted.
//
// Elements with Future arguments (Kind::has_inputs) are always a task each: a chunk is sent
// as one task with one list of inputs, so it would wait for every element's inputs before
// running any element, where a task per element runs as soon as its own are ready. Client::map
// and the lazy maps cut such maps into chunks of 1 already.
template <class Kind, class Callable, class Positions, class Ends>
void submit_elements(ClientCore& core, const TaskOptions& options, const Callable& callable, Positions& positions,
                     const Ends& ends, std::size_t limit, std::size_t chunk,
                     std::vector<Future<typename Kind::Result>>& out) {
    if constexpr (Kind::has_inputs) chunk = 1;
    auto at_end = [&] {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return ((std::get<I>(positions) == std::get<I>(ends)) || ...);
        }(std::make_index_sequence<std::tuple_size_v<Positions>>{});
    };
    auto step = [&] { std::apply([](auto&... at) { (++at, ...); }, positions); };
    std::size_t taken = 0;
    if (chunk == 1) {
        for (; taken < limit && !at_end(); ++taken, step())
            out.push_back(std::apply([&](auto&... at) { return submit_one<Kind>(core, options, callable, *at...); },
                                     positions));
        return;
    }
    auto code = Kind::code(callable, /*chunk=*/true);
    ChunkWriter writer;
    auto send = [&] {
        auto count = writer.count();
        for (auto& state : submit_chunk(core, code, writer.finish(), count, options))
            out.push_back(FutureAccess::make<typename Kind::Result>(std::move(state)));
    };
    writer.start(callable);
    for (; taken < limit && !at_end(); ++taken, step()) {
        std::apply([&](auto&... at) { Kind::add_element(writer, *at...); }, positions);
        if (writer.count() == chunk) {
            send();
            writer.start(callable);
        }
    }
    if (writer.count() > 0) send();
}

}  // namespace taskfarm::detail
