#pragma once
// Starting a farm. Every rank of the job calls one of these.

#include <taskfarm/client.hpp>
#include <taskfarm/options.hpp>

#include <concepts>
#include <functional>

namespace taskfarm {

// Rank 0 becomes the scheduler and ranks 2.. workers: they serve until the client is done
// and then leave the process with the job's status, never returning. Rank 1 gets the Client.
// With one rank (or no launcher) the Client runs every task inline.
Client initialize(int& argc, char**& argv, const Options& options = {});

namespace detail {
int run(int& argc, char**& argv, std::function<int(Client&)> client_main, const Options& options);
}

// Calls fn(client) on the client rank and returns the job's exit status on every rank,
// for `return taskfarm::run(argc, argv, ...);` in main. fn may return void or an int status.
template <class Fn>
    requires std::invocable<Fn&, Client&>
int run(int& argc, char**& argv, Fn&& fn, const Options& options = {}) {
    return detail::run(argc, argv, [&fn](Client& client) -> int {
        if constexpr (std::is_void_v<std::invoke_result_t<Fn&, Client&>>) {
            fn(client);
            return 0;
        } else {
            return static_cast<int>(fn(client));
        }
    }, options);
}

}  // namespace taskfarm
