#pragma once
// Configuration, read once at start-up, from three places: the Options struct, then
// TASKFARM_<NAME> environment variables, then --taskfarm-<name>[=value] flags (the last
// word wins). Every setting taskfarm reads is listed in config.cpp.

#include <taskfarm/options.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfarm::detail {

class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The options in force. Takes the --taskfarm-* flags out of argv (argv[argc] stays null).
// Throws ConfigError for a value that makes no sense or an unknown flag, naming it.
Options effective_options(Options given, int& argc, char** argv);
// Every setting in force as (name, value): ("threads_per_worker", "1"), ...; ranks compare them
// at start-up.
std::vector<std::pair<std::string, std::string>> settings_of(const Options& options);
// "threads_per_worker=1 inline_result_limit=262144 ...", for --taskfarm-verbose.
std::string describe(const Options& options);
// TASKFARM_THREADS_PER_WORKER for "threads-per-worker".
std::string environment_variable(std::string_view setting);

// The cores this process may use: std::thread::hardware_concurrency or its CPU affinity,
// whichever is smaller (at least 1).
int cores_available();
// How many workers a local farm gets: Options::local_workers, with -1 read as cores_available().
int local_workers_in_force(const Options& options);

// The most threads_per_worker may be on this machine, and what sets it: 4096, or less when
// RLIMIT_NPROC or /proc/sys/kernel/threads-max allow fewer (config.cpp says why).
struct ThreadLimit {
    int most;
    std::string set_by;  // "taskfarm's limit on threads per worker", "/proc/sys/kernel/threads-max", ...
};
ThreadLimit threads_per_worker_limit();

// Every timeout (Options::timeout, TaskOptions::timeout, Options::worker_timeout) as the
// nanoseconds a TaskSpec carries: 0 means none, and so do inf and anything of a century or
// more (beyond what nanosecond arithmetic on a clock can hold). Empty when the timeout is
// fine; else why not, naming it `name`: negative or NaN, or more than 0 but under 1 ns
// (which would round to 0 and silently mean no limit).
std::string timeout_problem(std::chrono::duration<double> timeout, std::string_view name, std::uint64_t& nanoseconds);

// The same, throwing Error (ConfigError at start-up, UsageError at submit) for a bad value.
template <class Error = ConfigError>
std::uint64_t timeout_nanoseconds(std::chrono::duration<double> timeout, std::string_view name) {
    std::uint64_t nanoseconds = 0;
    if (auto problem = timeout_problem(timeout, name, nanoseconds); !problem.empty()) throw Error(problem);
    return nanoseconds;
}

// Whether the ranks record task events for the client (Options::trace, Options::report):
// every rank decides alike, since every rank has the same options.
inline bool records_events(const Options& options) { return !options.trace.empty() || !options.report.empty(); }

}  // namespace taskfarm::detail
