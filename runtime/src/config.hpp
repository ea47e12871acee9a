#pragma once
// Configuration, read once at start-up, from three places: the Options struct, then
// TASKFARM_<NAME> environment variables, then --taskfarm-<name>[=value] flags (the last
// word wins). Every setting taskfarm reads is listed in config.cpp.

#include <taskfarm/options.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace taskfarm::detail {

class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The options in force. Takes the --taskfarm-* flags out of argv (argv[argc] stays null).
// Throws ConfigError for a value that makes no sense or an unknown flag, naming it.
Options effective_options(Options given, int& argc, char** argv);
// "threads_per_worker=1 inline_result_limit=262144 ...", for --taskfarm-verbose.
std::string describe(const Options& options);
// TASKFARM_THREADS_PER_WORKER for "threads-per-worker".
std::string environment_variable(std::string_view setting);

}  // namespace taskfarm::detail
