#pragma once
// Waiting on many futures: wait (all), wait_any (one), as_completed (each, as it finishes).

#include <taskfarm/future.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

namespace taskfarm {

namespace detail {
class CompletionQueue;
// Starts watching tasks; the queue yields their indices in the order they finish.
std::shared_ptr<CompletionQueue> watch(std::span<TaskState* const> tasks);
// Watches one more task on the queue, as number `index`.
void watch_more(const std::shared_ptr<CompletionQueue>& queue, TaskState& task, std::size_t index);
// Blocks until one more watched task is done and returns its index.
std::size_t next_completed(CompletionQueue& queue);
// The same, giving up at the deadline (max(): none).
std::optional<std::size_t> next_completed_until(CompletionQueue& queue, std::chrono::steady_clock::time_point deadline);

template <class Futures>
std::vector<TaskState*> states_of(const Futures& futures) {
    std::vector<TaskState*> states;
    states.reserve(futures.size());
    for (const auto& future : futures) states.push_back(&FutureAccess::state(future));
    return states;
}
}  // namespace detail

// When wait returns (concurrent.futures' return_when).
enum class ReturnWhen {
    all_completed,    // every future is done
    first_exception,  // one has failed (its task threw, crashed, timed out...), or every one is done
};

// Blocks until every future is done (finished, failed or cancelled). Does not throw task errors.
template <class T>
void wait(const std::vector<Future<T>>& futures) {
    for (const auto& future : futures) future.wait();
}

namespace detail {
// Waits as ReturnWhen says, until the deadline; true if the condition was met.
template <class T>
bool wait_until(const std::vector<Future<T>>& futures, ReturnWhen when, std::chrono::steady_clock::time_point deadline) {
    if (when == ReturnWhen::all_completed) {
        for (const auto& future : futures)
            if (!wait_until(FutureAccess::state(future), deadline)) return false;
        return true;
    }
    auto states = states_of(futures);
    auto queue = watch(states);
    for (std::size_t done = 0; done < futures.size(); ++done) {
        auto index = next_completed_until(*queue, deadline);
        if (!index) return false;
        if (failed(*states[*index])) return true;
    }
    return true;
}
}  // namespace detail

// Waits at most `timeout` (dask's wait(timeout=)); true if every future is done by then.
template <class T, class Rep, class Period>
bool wait(const std::vector<Future<T>>& futures, std::chrono::duration<Rep, Period> timeout) {
    return detail::wait_until(futures, ReturnWhen::all_completed, detail::deadline_after(timeout));
}

// ReturnWhen::first_exception: returns as soon as one future has failed, or once all are
// done; true then (false only when a timeout ran out first). Does not throw task errors.
template <class T>
bool wait(const std::vector<Future<T>>& futures, ReturnWhen when) {
    return detail::wait_until(futures, when, std::chrono::steady_clock::time_point::max());
}
template <class T, class Rep, class Period>
bool wait(const std::vector<Future<T>>& futures, ReturnWhen when, std::chrono::duration<Rep, Period> timeout) {
    return detail::wait_until(futures, when, detail::deadline_after(timeout));
}

// Blocks until at least one future is done and returns the index of one that is.
template <class T>
std::size_t wait_any(const std::vector<Future<T>>& futures) {
    if (futures.empty()) throw UsageError("taskfarm: wait_any needs at least one future");
    auto states = detail::states_of(futures);
    return detail::next_completed(*detail::watch(states));
}

// The same, waiting at most `timeout`: the index of a done future, or nullopt if none was
// done in time.
template <class T, class Rep, class Period>
std::optional<std::size_t> wait_any(const std::vector<Future<T>>& futures, std::chrono::duration<Rep, Period> timeout) {
    if (futures.empty()) throw UsageError("taskfarm: wait_any needs at least one future");
    auto deadline = detail::deadline_after(timeout);
    auto states = detail::states_of(futures);
    return detail::next_completed_until(*detail::watch(states), deadline);
}

// Iterates the futures in the order their tasks finish:
//   for (auto& future : taskfarm::as_completed(futures)) use(future.get());
// More futures may be added while iterating (dask's as_completed(...).add): the loop ends once
// every future given or added has been yielded. A future given twice is yielded twice.
template <class T>
class AsCompleted {
public:
    explicit AsCompleted(std::vector<Future<T>> futures)
        : futures_(std::make_move_iterator(futures.begin()), std::make_move_iterator(futures.end())),
          queue_(detail::watch(detail::states_of(futures_))) {}

    // Adds a future to those being waited for, also during the loop.
    void add(Future<T> future) {
        // Watched first: if that throws (an empty Future, another farm's), nothing was added.
        detail::watch_more(queue_, detail::FutureAccess::state(future), futures_.size());
        futures_.push_back(std::move(future));  // a deque: futures already yielded stay where they are
    }

    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Future<T>;
        using difference_type = std::ptrdiff_t;
        using pointer = const Future<T>*;
        using reference = const Future<T>&;

        iterator() = default;
        reference operator*() const { return owner_->futures_[current_]; }
        pointer operator->() const { return &owner_->futures_[current_]; }
        iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        // At the end once every future given or added so far has been yielded.
        bool operator==(std::default_sentinel_t) const { return taken_ == owner_->futures_.size(); }

    private:
        friend class AsCompleted;
        explicit iterator(AsCompleted* owner) : owner_(owner) { take(); }
        void advance() {
            ++taken_;
            take();
        }
        void take() {
            if (taken_ < owner_->futures_.size()) current_ = detail::next_completed(*owner_->queue_);
        }
        AsCompleted* owner_ = nullptr;
        std::size_t taken_ = 0;
        std::size_t current_ = 0;
    };

    // Single pass: call begin() once.
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const { return {}; }

private:
    std::deque<Future<T>> futures_;
    std::shared_ptr<detail::CompletionQueue> queue_;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> futures) {
    return AsCompleted<T>(std::move(futures));
}

}  // namespace taskfarm
