#include "config.hpp"

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace taskfarm::detail {
namespace {

void override_positive(const char* variable, int& field) {
    const char* text = std::getenv(variable);
    if (!text) return;
    std::string_view value(text);
    int parsed = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (error != std::errc() || end != value.data() + value.size() || parsed < 1)
        throw ConfigError(std::string(variable) + " must be a whole number of at least 1, not '" + text + "'");
    field = parsed;
}

}  // namespace

Options effective_options(Options given) {
    override_positive(env_threads_per_worker, given.threads_per_worker);
    if (given.threads_per_worker < 1)
        throw ConfigError("Options::threads_per_worker must be at least 1, not " + std::to_string(given.threads_per_worker));
    return given;
}

}  // namespace taskfarm::detail
