#pragma once
// Results<R>: what Client::imap and Client::imap_unordered return. A single-pass range of
// results computed as it is read: it takes elements from its inputs only as it needs them
// and keeps a bounded number of them in flight, so a map of 10^8 elements over
// std::views::iota runs in bounded memory (Python's multiprocessing imap, mpi4py's lazy map).

#include <taskfarm/detail/submit.hpp>
#include <taskfarm/future.hpp>
#include <taskfarm/wait.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace taskfarm {

// What gather and the lazy maps do with a task that failed or was cancelled.
enum class OnError {
    raise,  // throw its TaskError (or CancelledError)
    skip,   // leave it out of the results
};

namespace detail {

// Where a lazy map's elements come from: each call submits up to `limit` more of them
// (whole chunks), appending one Future per element as it goes, until its inputs run out.
template <class R>
class Feed {
public:
    virtual ~Feed() = default;
    virtual void next(std::size_t limit, std::vector<Future<R>>& out) = 0;
    virtual bool exhausted() const = 0;
};

enum class ResultOrder { input, completion };

}  // namespace detail

template <class R>
class Results {
    struct State;  // below: what the range and its iterator share

public:
    // Set up by Client::imap/imap_unordered: nothing is submitted before begin().
    Results(std::unique_ptr<detail::Feed<R>> feed, detail::ResultOrder order, std::size_t in_flight,
            std::size_t chunk, OnError on_error)
        : state_(std::make_unique<State>()) {
        state_->feed = std::move(feed);
        state_->order = order;
        state_->in_flight = in_flight;
        state_->chunk = chunk;
        state_->on_error = on_error;
    }

    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = R;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        // The element's result; a failed one throws its TaskError here (OnError::raise). Read
        // it once per element (with OnError::skip it was read ahead, and is moved out).
        R operator*() const { return state_->value ? std::move(*state_->value) : state_->current->get(); }
        iterator& operator++() {
            state_->advance();
            return *this;
        }
        void operator++(int) { state_->advance(); }
        bool operator==(std::default_sentinel_t) const { return !state_->current; }

    private:
        friend class Results;
        explicit iterator(State* state) : state_(state) {}
        State* state_ = nullptr;
    };

    // Single pass: call begin() once. It submits the first elements and waits for the first
    // result. An exception from the inputs (or from encoding an element) reaches the loop
    // where it is thrown and ends the map: what was in flight is still yielded, no more is taken.
    iterator begin() {
        state_->advance();
        return iterator(state_.get());
    }
    std::default_sentinel_t end() const { return {}; }

private:
    // On the heap, so that iterators stay valid when the Results object moves.
    struct State {
        std::unique_ptr<detail::Feed<R>> feed;
        detail::ResultOrder order = detail::ResultOrder::input;
        std::size_t in_flight = 1;  // elements submitted and not yet yielded, at most
        std::size_t chunk = 1;      // elements per task
        OnError on_error = OnError::raise;
        bool feed_failed = false;          // the inputs threw: nothing more is taken from them
        std::optional<Future<R>> current;  // the element being yielded; empty at the end
        std::optional<R> value;            // its result, read already (OnError::skip)
        std::deque<Future<R>> queued;      // in input order: in flight, not yet yielded
        // In completion order: in flight by the number they were watched under.
        std::shared_ptr<detail::CompletionQueue> completions = detail::watch({});
        std::unordered_map<std::size_t, Future<R>> watched;
        std::size_t watch_count = 0;

        // In flight and not yet yielded, counting the one being yielded.
        std::size_t outstanding() const { return queued.size() + watched.size() + (current ? 1 : 0); }

        void keep(std::vector<Future<R>>& fresh) {
            for (auto& future : fresh) {
                if (order == detail::ResultOrder::input) {
                    queued.push_back(std::move(future));
                    continue;
                }
                auto index = watch_count++;
                auto& kept = watched.emplace(index, std::move(future)).first->second;
                detail::watch_more(completions, detail::FutureAccess::state(kept), index);
            }
            fresh.clear();
        }

        // Keeps in_flight elements in flight, a whole chunk at a time.
        void refill() {
            std::vector<Future<R>> fresh;
            for (;;) {
                auto room = in_flight - std::min(in_flight, outstanding());
                if (feed_failed || feed->exhausted() || (outstanding() > 0 && room < chunk)) return;
                try {
                    feed->next(std::max<std::size_t>(room / chunk, 1) * chunk, fresh);  // whole chunks
                } catch (...) {
                    feed_failed = true;
                    keep(fresh);  // those already submitted are still yielded
                    throw;
                }
                keep(fresh);
            }
        }

        // Moves to the next element to yield (skipping failed ones with OnError::skip); none at
        // the end. It takes the next element before it submits more, so that an exception from
        // the inputs leaves the iterator at an element, and the loop can go on to the end.
        void advance() {
            for (;;) {
                current.reset();
                value.reset();
                if (outstanding() == 0) refill();
                if (outstanding() == 0) return;
                if (order == detail::ResultOrder::input) {
                    current = std::move(queued.front());
                    queued.pop_front();
                } else {
                    auto at = watched.find(detail::next_completed(*completions));
                    current = std::move(at->second);
                    watched.erase(at);
                }
                if (on_error == OnError::skip) {
                    try {  // read here, so that a result that does not decode is skipped too
                        value = current->get();
                    } catch (const TaskError&) {
                        continue;
                    }
                }
                refill();
                return;
            }
        }
    };

    std::unique_ptr<State> state_;
};

namespace detail {

// The settings a lazy map takes after its inputs, in any order.
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
    std::is_same_v<std::remove_cvref_t<T>, OnError> || std::is_same_v<std::remove_cvref_t<T>, TaskOptions>;

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

// The elements of a lazy map, taken from its inputs (held here) a few chunks at a time. It
// holds the farm's core, not the Client: the Client may move meanwhile.
template <class Kind, class Callable, class... Views>
class MapFeed final : public Feed<typename Kind::Result> {
public:
    MapFeed(std::shared_ptr<ClientCore> core, Callable callable, TaskOptions options, std::size_t chunk,
            Views... views)
        : core_(std::move(core)),
          callable_(std::move(callable)),
          options_(std::move(options)),
          chunk_(chunk),
          views_(std::move(views)...),
          positions_(std::apply([](auto&... view) { return std::tuple(std::ranges::begin(view)...); }, views_)),
          ends_(std::apply([](auto&... view) { return std::tuple(std::ranges::end(view)...); }, views_)) {}

    void next(std::size_t limit, std::vector<Future<typename Kind::Result>>& out) override {
        submit_elements<Kind>(*core_, options_, callable_, positions_, ends_, limit, chunk_, out);
    }
    bool exhausted() const override {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return ((std::get<I>(positions_) == std::get<I>(ends_)) || ...);
        }(std::index_sequence_for<Views...>{});
    }

private:
    std::shared_ptr<ClientCore> core_;
    Callable callable_;
    TaskOptions options_;
    std::size_t chunk_;
    std::tuple<Views...> views_;  // never moves: the positions point into it
    std::tuple<std::ranges::iterator_t<Views>...> positions_;
    std::tuple<std::ranges::sentinel_t<Views>...> ends_;
};

template <class Fn, std::ranges::input_range... Views>
auto start_lazy_map(std::shared_ptr<ClientCore> core, ResultOrder order, Fn&& fn, const LazyMapSettings& settings,
                    Views... views) {
    using Callable = std::decay_t<Fn>;
    require_shippable<Callable>();
    using TaskType = task_kind_t<Callable, std::ranges::range_value_t<Views>...>;
    using Result = typename TaskType::Result;
    static_assert(!std::is_void_v<Result>, "taskfarm: imap yields results; for tasks that return nothing use map");
    std::optional<std::size_t> n;
    if constexpr ((std::ranges::sized_range<Views> && ...))
        n = std::min({static_cast<std::size_t>(std::ranges::size(views))...});
    // Elements with Future arguments are a task each (submit_elements says why): cut as an
    // input of unknown length is, element by element.
    if constexpr (TaskType::has_inputs) n.reset();
    auto cut = lazy_map_cut(*core, n, settings.in_flight);
    auto feed = std::make_unique<MapFeed<TaskType, Callable, Views...>>(std::move(core), Callable(fn), settings.options,
                                                                   cut.chunk, std::move(views)...);
    return Results<Result>(std::move(feed), order, cut.in_flight, cut.chunk, settings.on_error);
}

}  // namespace detail
}  // namespace taskfarm
