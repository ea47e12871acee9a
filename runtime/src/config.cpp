#include "config.hpp"

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace taskfarm::detail {
namespace {

template <class Number>
void override_number(const char* variable, Number& field, Number least) {
    const char* text = std::getenv(variable);
    if (!text) return;
    std::string_view value(text);
    Number parsed{};
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (error != std::errc() || end != value.data() + value.size() || parsed < least)
        throw ConfigError(std::string(variable) + " must be a whole number of at least " + std::to_string(least) +
                          ", not '" + text + "'");
    field = parsed;
}

}  // namespace

Options effective_options(Options given) {
    override_number(env_threads_per_worker, given.threads_per_worker, 1);
    override_number<std::size_t>(env_inline_result_limit, given.inline_result_limit, 0);
    if (given.threads_per_worker < 1)
        throw ConfigError("Options::threads_per_worker must be at least 1, not " + std::to_string(given.threads_per_worker));
    return given;
}

}  // namespace taskfarm::detail
