#pragma once
// Client: the user's handle to the farm, on rank 1 (or inline, with one rank).

#include <taskfarm/detail/task.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/imap.hpp>
#include <taskfarm/options.hpp>
#include <taskfarm/stats.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <iterator>
#include <memory>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace taskfarm {

namespace detail {
class ClientCore;
struct ClientAccess;

template <class T>
constexpr bool is_task_options = std::is_same_v<std::remove_cvref_t<T>, TaskOptions>;

template <class... Ts>
constexpr bool last_is_task_options = false;
template <class T, class... Ts>
constexpr bool last_is_task_options<T, Ts...> = is_task_options<std::tuple_element_t<sizeof...(Ts), std::tuple<T, Ts...>>>;

// Calls call(options, rest...) with the TaskOptions found first or last among the
// arguments, or default ones.
template <class Call, class First, class... Rest>
decltype(auto) with_task_options(Call&& call, First&& first, Rest&&... rest) {
    if constexpr (is_task_options<First>) {
        return call(first, std::forward<Rest>(rest)...);
    } else if constexpr (last_is_task_options<Rest...>) {
        auto all = std::forward_as_tuple(std::forward<First>(first), std::forward<Rest>(rest)...);
        return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
            return call(std::get<sizeof...(Rest)>(all), std::get<I>(std::move(all))...);
        }(std::make_index_sequence<sizeof...(Rest)>{});
    } else {
        return call(TaskOptions{}, std::forward<First>(first), std::forward<Rest>(rest)...);
    }
}
}  // namespace detail

class Client {
public:
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    // Shuts the farm down: every rank leaves with the job's status.
    ~Client();

    // Runs fn(args...) on a worker. fn is a plain function, a captureless lambda, or a
    // function object with a serialize member (its state travels with the task).
    // A TaskOptions as the last (or first) argument sets this task's retries and timeout.
    // [[nodiscard]]: dropping every Future of a task cancels it (use fire_and_forget to let it run).
    template <class Fn, class... Args>
    [[nodiscard]] auto submit(Fn&& fn, Args&&... args) {
        return detail::with_task_options(
            [this](const TaskOptions& options, auto&& f, auto&&... a) {
                return submit_with(options, std::forward<decltype(f)>(f), std::forward<decltype(a)>(a)...);
            },
            std::forward<Fn>(fn), std::forward<Args>(args)...);
    }

    // One task per element: fn(x) for x in xs; with several ranges, fn(x, y, ...) for the
    // elements taken side by side, stopping at the end of the shortest, like Python's map.
    // Elements of a large map travel in chunks (one message and one queue entry for many
    // elements); every element still has its own Future and its own outcome. A TaskOptions
    // as the last (or first) argument applies to every element.
    template <class Fn, class... Inputs>
    [[nodiscard]] auto map(Fn&& fn, Inputs&&... inputs) {
        return detail::with_task_options(
            [this](const TaskOptions& options, auto&& f, auto&&... ranges) {
                return map_with(options, std::forward<decltype(f)>(f), std::forward<decltype(ranges)>(ranges)...);
            },
            std::forward<Fn>(fn), std::forward<Inputs>(inputs)...);
    }

    // Waits for every future and returns the results in order. With OnError::raise (the
    // default) the first failed or cancelled task throws; with OnError::skip it is left out.
    template <class T>
        requires(!std::is_void_v<T>)
    std::vector<T> gather(const std::vector<Future<T>>& futures, OnError on_error = OnError::raise) {
        prefetch(futures);
        std::vector<T> results;
        results.reserve(futures.size());
        for (const auto& future : futures) {
            if (on_error == OnError::raise) {
                results.push_back(future.get());
                continue;
            }
            try {
                results.push_back(future.get());
            } catch (const TaskError&) {
            } catch (const CancelledError&) {
            }
        }
        return results;
    }
    void gather(const std::vector<Future<void>>& futures, OnError on_error = OnError::raise);

    // A lazy map (Python's multiprocessing imap, mpi4py's map with buffersize): a single-pass
    // range of fn's results, in input order, computed as it is read:
    //   for (double r : client.imap(simulate, std::views::iota(0, 100'000'000))) total += r;
    // It takes elements from the inputs only as it needs them and keeps a bounded number in
    // flight. The inputs are zipped as map's; temporaries (views, vectors) are kept inside.
    // Optional settings after the inputs, in any order: a number (elements in flight at most;
    // default enough to keep every worker busy), OnError::skip (leave failed elements out;
    // by default reading a failed element throws its TaskError), TaskOptions.
    template <class Fn, class... InputsThenSettings>
    [[nodiscard]] auto imap(Fn&& fn, InputsThenSettings&&... args) {
        return lazy_map(detail::ResultOrder::input, std::forward<Fn>(fn), std::forward<InputsThenSettings>(args)...);
    }
    // The same, yielding results as they finish (multiprocessing's imap_unordered).
    template <class Fn, class... InputsThenSettings>
    [[nodiscard]] auto imap_unordered(Fn&& fn, InputsThenSettings&&... args) {
        return lazy_map(detail::ResultOrder::completion, std::forward<Fn>(fn), std::forward<InputsThenSettings>(args)...);
    }

    // Places a value in the farm (dask's scatter): it is sent once, to one worker, which keeps
    // it; the Future is an ordinary one (get(), an argument of other tasks, released when the
    // last copy is gone). Pass it to many tasks rather than the value itself, which would
    // travel (and be kept by the scheduler until sent) once per task.
    template <class T>
    [[nodiscard]] Future<std::decay_t<T>> scatter(const T& value) {
        return detail::submit_value(*core_, static_cast<const std::decay_t<T>&>(value), false);
    }
    // The same with a copy on every worker (dask's scatter(broadcast=True)): each worker's
    // tasks read their own copy, and tasks that need it may run anywhere.
    template <class T>
    [[nodiscard]] Future<std::decay_t<T>> broadcast(const T& value) {
        return detail::submit_value(*core_, static_cast<const std::decay_t<T>&>(value), true);
    }

    // Number of worker ranks; 0 when tasks run inline in the client.
    int workers() const;

    // What the farm is doing now: tasks by state, each worker's counts, the rate. Asks every
    // worker (a round trip, waited for at most a second; a worker that does not answer in
    // time keeps its last numbers, marked stale). After shutdown: the final counts.
    Stats stats() const;

private:
    friend struct detail::ClientAccess;
    explicit Client(std::shared_ptr<detail::ClientCore> core);

    template <class Fn, class... Args>
    auto submit_with(const TaskOptions& options, Fn&& fn, Args&&... args) {
        using Callable = std::decay_t<Fn>;
        detail::require_shippable<Callable>();
        using Kind = detail::task_kind_t<Callable, std::decay_t<Args>...>;
        return detail::submit_one<Kind>(*core_, options, static_cast<const Callable&>(fn), args...);
    }

    template <class Fn, std::ranges::input_range... Ranges>
        requires(sizeof...(Ranges) >= 1)
    auto map_with(const TaskOptions& options, Fn&& fn, Ranges&&... inputs) {
        using Callable = std::decay_t<Fn>;
        detail::require_shippable<Callable>();
        using Kind = detail::task_kind_t<Callable, std::ranges::range_value_t<Ranges>...>;
        std::vector<Future<typename Kind::Result>> futures;
        std::size_t chunk = 1;
        if constexpr ((std::ranges::sized_range<Ranges> && ...)) {
            auto n = std::min({static_cast<std::size_t>(std::ranges::size(inputs))...});
            futures.reserve(n);
            // Elements with Future arguments are a task each (submit_elements says why).
            if constexpr (!Kind::has_inputs) chunk = detail::map_chunk(*core_, n);
        }
        auto positions = std::tuple(std::ranges::begin(inputs)...);
        auto ends = std::tuple(std::ranges::end(inputs)...);
        detail::submit_elements<Kind>(*core_, options, static_cast<const Callable&>(fn), positions, ends, SIZE_MAX, chunk,
                                      futures);
        return futures;
    }

    template <class Fn, class... Args>
    auto lazy_map(detail::ResultOrder order, Fn&& fn, Args&&... args) {
        constexpr std::size_t inputs = detail::inputs_before_settings<Args...>();
        static_assert(inputs >= 1, "taskfarm: imap needs at least one input range");
        static_assert(detail::only_settings_after_inputs<Args...>(),
                      "taskfarm: imap takes its input ranges first, then its settings (a number of elements in "
                      "flight, OnError, TaskOptions)");
        auto all = std::forward_as_tuple(std::forward<Args>(args)...);
        detail::LazyMapSettings settings;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (settings.take(std::get<inputs + I>(all)), ...);
        }(std::make_index_sequence<sizeof...(Args) - inputs>{});
        // Temporaries are moved into the range (owning views), lvalues referred to.
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return detail::start_lazy_map(core_, order, std::forward<Fn>(fn), settings,
                                          std::views::all(std::get<I>(std::move(all)))...);
        }(std::make_index_sequence<inputs>{});
    }

    // Asks every worker that holds one of these results to send it, all at once.
    template <class T>
    void prefetch(const std::vector<Future<T>>& futures) {
        for (const auto& future : futures)
            if (future.valid()) prefetch_one(detail::FutureAccess::state(future));
    }
    void prefetch_one(detail::TaskState& task);

    std::shared_ptr<detail::ClientCore> core_;
};

// The running farm's client, for code that was not handed one: a library function can
//   double mean_rmsd(const std::vector<Frame>& frames) {
//       auto rmsds = taskfarm::current_client().map(rmsd, frames); ...
// It is the Client that initialize returned (or run passed in), on the client rank or inline.
// Throws UsageError where there is none: before initialize, after the farm shut down, on the
// scheduler and worker ranks, and inside a task (submitting from a task is not supported yet).
Client& current_client();

}  // namespace taskfarm
