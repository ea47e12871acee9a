#pragma once
// Client: the user's handle to the farm, on rank 1 (or inline, with one rank).

#include <taskfarm/detail/task.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/imap.hpp>
#include <taskfarm/options.hpp>

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
// The settings a lazy map (imap, imap_unordered) takes after its inputs, in any order.
struct LazyMapSettings {
    std::size_t in_flight = 0;  // elements in flight at most; 0: enough to keep every worker busy
    OnError on_error = OnError::raise;
    TaskOptions options;

    void take(OnError value) { on_error = value; }
    void take(const TaskOptions& value) { options = value; }
    template <std::integral N>
    void take(N value) {
        if (value < 1) throw UsageError("taskfarm: imap's number of elements in flight must be at least 1");
        in_flight = static_cast<std::size_t>(value);
    }
};

template <class T>
constexpr bool is_lazy_map_setting =
    (std::is_integral_v<std::remove_cvref_t<T>> && !std::is_same_v<std::remove_cvref_t<T>, bool>) ||
    std::is_same_v<std::remove_cvref_t<T>, OnError> || is_task_options<T>;

// How many of Args come before the first setting: the input ranges.
template <class... Args>
constexpr std::size_t inputs_before_settings() {
    constexpr bool setting[] = {is_lazy_map_setting<Args>..., true};
    std::size_t inputs = 0;
    while (!setting[inputs]) ++inputs;
    return inputs;
}

template <class... Args>
constexpr bool only_settings_after_inputs() {
    constexpr bool setting[] = {is_lazy_map_setting<Args>..., true};
    for (auto i = inputs_before_settings<Args...>(); i < sizeof...(Args); ++i)
        if (!setting[i]) return false;
    return true;
}

template <class Kind, class Callable, class... Views>
class MapFeed;
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

    // Number of worker ranks; 0 when tasks run inline in the client.
    int workers() const;

private:
    friend struct detail::ClientAccess;
    template <class Kind, class Callable, class... Views>
    friend class detail::MapFeed;
    explicit Client(std::shared_ptr<detail::ClientCore> core);

    template <class Fn, class... Args>
    auto submit_with(const TaskOptions& options, Fn&& fn, Args&&... args) {
        using Callable = std::decay_t<Fn>;
        detail::require_shippable<Callable>();
        using Kind = detail::task_kind_t<Callable, std::decay_t<Args>...>;
        const Callable& callable = fn;
        return Future<typename Kind::Result>(
            submit_bytes(Kind::code(callable), Kind::encode(callable, args...), options));
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
            chunk = map_chunk(n);
        }
        auto positions = std::tuple(std::ranges::begin(inputs)...);
        auto ends = std::tuple(std::ranges::end(inputs)...);
        submit_elements<Kind>(options, static_cast<const Callable&>(fn), positions, ends, SIZE_MAX, chunk, futures);
        return futures;
    }

    // Submits fn over the elements the iterators `positions` are at, taken side by side and
    // advanced past those taken, until one reaches its end in `ends` or `limit` elements are
    // taken: `chunk` elements per task (1: a task each). Appends each element's Future.
    template <class Kind, class Callable, class Positions, class Ends>
    void submit_elements(const TaskOptions& options, const Callable& callable, Positions& positions, const Ends& ends,
                         std::size_t limit, std::size_t chunk, std::vector<Future<typename Kind::Result>>& futures) {
        auto at_end = [&] {
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                return ((std::get<I>(positions) == std::get<I>(ends)) || ...);
            }(std::make_index_sequence<std::tuple_size_v<Positions>>{});
        };
        auto step = [&] { std::apply([](auto&... at) { (++at, ...); }, positions); };
        std::size_t taken = 0;
        if (chunk == 1) {
            for (; taken < limit && !at_end(); ++taken, step())
                futures.push_back(std::apply([&](auto&... at) { return submit_with(options, callable, *at...); }, positions));
            return;
        }
        auto code = Kind::code(callable, /*chunk=*/true);
        detail::ChunkWriter writer;
        auto send = [&] {
            auto count = writer.count();
            for (auto& state : submit_chunk(code, writer.finish(), count, options))
                futures.push_back(Future<typename Kind::Result>(std::move(state)));
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
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return start_lazy_map(order, std::forward<Fn>(fn), settings, std::views::all(std::get<I>(std::move(all)))...);
        }(std::make_index_sequence<inputs>{});
    }

    template <class Fn, std::ranges::input_range... Views>
    auto start_lazy_map(detail::ResultOrder order, Fn&& fn, const detail::LazyMapSettings& settings, Views... views) {
        using Callable = std::decay_t<Fn>;
        detail::require_shippable<Callable>();
        using Kind = detail::task_kind_t<Callable, std::ranges::range_value_t<Views>...>;
        using Result = typename Kind::Result;
        static_assert(!std::is_void_v<Result>, "taskfarm: imap yields results; for tasks that return nothing use map");
        std::size_t chunk = 1;
        if constexpr ((std::ranges::sized_range<Views> && ...))
            chunk = map_chunk(std::min({static_cast<std::size_t>(std::ranges::size(views))...}));
        auto busy = busy_tasks();
        auto in_flight = settings.in_flight > 0 ? settings.in_flight : busy * chunk;
        chunk = std::clamp<std::size_t>(in_flight / busy, 1, chunk);  // a limit set by hand still spreads over the workers
        auto feed = std::make_unique<detail::MapFeed<Kind, Callable, Views...>>(*this, Callable(fn), settings.options,
                                                                              chunk, std::move(views)...);
        return Results<Result>(std::move(feed), order, in_flight, chunk, settings.on_error);
    }

    std::shared_ptr<detail::TaskState> submit_bytes(const detail::TaskCode& code, Bytes args,
                                                    const TaskOptions& options);
    // One task for `count` elements of a map; returns a state per element.
    std::vector<std::shared_ptr<detail::TaskState>> submit_chunk(const detail::TaskCode& code, Bytes args,
                                                                 std::uint32_t count, const TaskOptions& options);
    // How many elements of an n-element map go in one task.
    std::size_t map_chunk(std::size_t n) const;
    // Tasks that keep every worker busy: 4 per task slot (threads_per_worker per worker); 1 inline.
    std::size_t busy_tasks() const;
    // Asks every worker that holds one of these results to send it, all at once.
    template <class T>
    void prefetch(const std::vector<Future<T>>& futures) {
        for (const auto& future : futures)
            if (future.valid()) prefetch_one(detail::FutureAccess::state(future));
    }
    void prefetch_one(detail::TaskState& task);

    std::shared_ptr<detail::ClientCore> core_;
};

namespace detail {
// The elements of a lazy map, taken from its inputs (held here) a few chunks at a time.
template <class Kind, class Callable, class... Views>
class MapFeed final : public Feed<typename Kind::Result> {
public:
    MapFeed(Client& client, Callable callable, TaskOptions options, std::size_t chunk, Views... views)
        : client_(&client),
          callable_(std::move(callable)),
          options_(std::move(options)),
          chunk_(chunk),
          views_(std::move(views)...),
          positions_(std::apply([](auto&... view) { return std::tuple(std::ranges::begin(view)...); }, views_)),
          ends_(std::apply([](auto&... view) { return std::tuple(std::ranges::end(view)...); }, views_)) {}

    void next(std::size_t limit, std::vector<Future<typename Kind::Result>>& out) override {
        client_->template submit_elements<Kind>(options_, callable_, positions_, ends_, limit, chunk_, out);
    }
    bool exhausted() const override {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return ((std::get<I>(positions_) == std::get<I>(ends_)) || ...);
        }(std::index_sequence_for<Views...>{});
    }

private:
    Client* client_;
    Callable callable_;
    TaskOptions options_;
    std::size_t chunk_;
    std::tuple<Views...> views_;  // never moves: the positions point into it
    std::tuple<std::ranges::iterator_t<Views>...> positions_;
    std::tuple<std::ranges::sentinel_t<Views>...> ends_;
};
}  // namespace detail

// The running farm's client, for code that was not handed one: a library function can
//   double mean_rmsd(const std::vector<Frame>& frames) {
//       auto rmsds = taskfarm::current_client().map(rmsd, frames); ...
// It is the Client that initialize returned (or run passed in), on the client rank or inline.
// Throws UsageError where there is none: before initialize, after the farm shut down, on the
// scheduler and worker ranks, and inside a task (submitting from a task is not supported yet).
Client& current_client();

}  // namespace taskfarm
