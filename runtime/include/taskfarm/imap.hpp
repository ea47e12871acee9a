#pragma once
// Results<R>: what Client::imap and Client::imap_unordered return. A single-pass range of
// results computed as it is read: it takes elements from its inputs only as it needs them
// and keeps a bounded number of them in flight, so a map of 10^8 elements over
// std::views::iota runs in bounded memory (Python's multiprocessing imap, mpi4py's lazy map).

#include <taskfarm/future.hpp>
#include <taskfarm/wait.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
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
// (whole chunks), appending one Future per element, until its inputs run out.
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
        // The element's result; a failed one throws its TaskError here (OnError::raise).
        R operator*() const { return state_->current->get(); }
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

    // Single pass: call begin() once. It submits the first elements and waits for the first result.
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
        std::optional<Future<R>> current;  // the element being yielded; empty at the end
        std::deque<Future<R>> queued;      // in input order: in flight, not yet yielded
        // In completion order: in flight by the number they were watched under.
        std::shared_ptr<detail::CompletionQueue> completions = detail::watch({});
        std::unordered_map<std::size_t, Future<R>> watched;
        std::size_t watch_count = 0;

        std::size_t outstanding() const { return queued.size() + watched.size(); }

        // Keeps in_flight elements in flight, a whole chunk at a time.
        void refill() {
            std::vector<Future<R>> fresh;
            while (!feed->exhausted() && (outstanding() == 0 || in_flight - outstanding() >= chunk)) {
                fresh.clear();
                auto room = in_flight - std::min(in_flight, outstanding());
                feed->next(std::max<std::size_t>(room / chunk, 1) * chunk, fresh);  // whole chunks
                for (auto& future : fresh) {
                    if (order == detail::ResultOrder::input) {
                        queued.push_back(std::move(future));
                        continue;
                    }
                    auto index = watch_count++;
                    auto& kept = watched.emplace(index, std::move(future)).first->second;
                    detail::watch_more(completions, detail::FutureAccess::state(kept), index);
                }
            }
        }

        // Moves to the next element to yield (skipping failed ones with OnError::skip); none at the end.
        void advance() {
            for (;;) {
                current.reset();
                refill();
                if (outstanding() == 0) return;
                if (order == detail::ResultOrder::input) {
                    current = std::move(queued.front());
                    queued.pop_front();
                } else {
                    auto at = watched.find(detail::next_completed(*completions));
                    current = std::move(at->second);
                    watched.erase(at);
                }
                if (on_error == OnError::raise || !current->exception()) return;
            }
        }
    };

    std::unique_ptr<State> state_;
};

}  // namespace taskfarm
