#pragma once
// Client: the user's handle to the farm, on rank 1 (or inline, with one rank).

#include <taskfarm/detail/task.hpp>
#include <taskfarm/future.hpp>

#include <memory>
#include <ranges>
#include <type_traits>
#include <vector>

namespace taskfarm {

namespace detail {
class ClientCore;
struct ClientAccess;
}  // namespace detail

class Client {
public:
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    // Shuts the farm down: every rank leaves with the job's status.
    ~Client();

    // Runs fn(args...) on a worker. fn is a plain function or a captureless lambda.
    template <class Fn, class... Args>
    auto submit(Fn&& fn, Args&&... args) -> Future<detail::task_result_t<std::decay_t<Fn>, std::decay_t<Args>...>> {
        using Callable = std::decay_t<Fn>;
        using Result = detail::task_result_t<Callable, std::decay_t<Args>...>;
        if constexpr (!std::is_void_v<Result>) detail::require_serializable<std::decay_t<Result>>();
        auto code = detail::task_code<Callable, std::decay_t<Args>...>(fn);
        return Future<Result>(submit_bytes(code, detail::to_bytes(std::decay_t<Args>(args)...)));
    }

    // One task per element of inputs: fn(element).
    template <class Fn, std::ranges::input_range Range>
    auto map(Fn&& fn, Range&& inputs) {
        using Element = std::ranges::range_value_t<Range>;
        using FutureType = decltype(submit(fn, std::declval<Element>()));
        std::vector<FutureType> futures;
        if constexpr (std::ranges::sized_range<Range>) futures.reserve(std::ranges::size(inputs));
        for (auto&& input : inputs) futures.push_back(submit(fn, static_cast<Element>(input)));
        return futures;
    }

    // Waits for every future and returns the results in order; throws the first TaskError.
    template <class T>
    std::vector<T> gather(const std::vector<Future<T>>& futures) {
        prefetch(futures);
        std::vector<T> results;
        results.reserve(futures.size());
        for (const auto& future : futures) results.push_back(future.get());
        return results;
    }
    void gather(const std::vector<Future<void>>& futures) {
        for (const auto& future : futures) future.get();
    }

    // Number of worker ranks; 0 when tasks run inline in the client.
    int workers() const;

private:
    friend struct detail::ClientAccess;
    explicit Client(std::shared_ptr<detail::ClientCore> core);

    std::shared_ptr<detail::TaskState> submit_bytes(const detail::TaskCode& code, Bytes args);
    // Asks every worker that holds one of these results to send it, all at once.
    template <class T>
    void prefetch(const std::vector<Future<T>>& futures) {
        for (const auto& future : futures)
            if (future.valid()) prefetch_one(*future.state_);
    }
    void prefetch_one(detail::TaskState& task);

    std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace taskfarm
