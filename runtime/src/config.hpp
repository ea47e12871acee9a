#pragma once
// Configuration, read once at start-up. Every environment variable taskfarm reads is named here.

#include <taskfarm/options.hpp>

#include <stdexcept>

namespace taskfarm::detail {

inline constexpr const char* env_threads_per_worker = "TASKFARM_THREADS_PER_WORKER";
inline constexpr const char* env_inline_result_limit = "TASKFARM_INLINE_RESULT_LIMIT";
inline constexpr const char* env_isolate = "TASKFARM_ISOLATE";
inline constexpr const char* env_retries = "TASKFARM_RETRIES";
inline constexpr const char* env_timeout = "TASKFARM_TIMEOUT";
inline constexpr const char* env_journal = "TASKFARM_JOURNAL";

class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The options in force: the given ones, overridden by the environment. Throws ConfigError
// for a value that makes no sense, naming the field or variable.
Options effective_options(Options given);

}  // namespace taskfarm::detail
