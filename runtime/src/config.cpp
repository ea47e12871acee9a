#include "config.hpp"

#include <charconv>
#include <chrono>
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

void override_flag(const char* variable, bool& field) {
    const char* text = std::getenv(variable);
    if (!text) return;
    std::string_view value(text);
    if (value == "1" || value == "true" || value == "yes" || value == "on") field = true;
    else if (value == "0" || value == "false" || value == "no" || value == "off" || value.empty()) field = false;
    else throw ConfigError(std::string(variable) + " must be 1 or 0 (or true/false, yes/no, on/off), not '" + text + "'");
}

void override_seconds(const char* variable, std::chrono::duration<double>& field) {
    const char* text = std::getenv(variable);
    if (!text) return;
    char* end = nullptr;
    double seconds = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(seconds >= 0))
        throw ConfigError(std::string(variable) + " must be a number of seconds (0 for none), not '" + text + "'");
    field = std::chrono::duration<double>(seconds);
}

}  // namespace

Options effective_options(Options given) {
    override_number(env_threads_per_worker, given.threads_per_worker, 1);
    override_number<std::size_t>(env_inline_result_limit, given.inline_result_limit, 0);
    override_flag(env_isolate, given.isolate);
    override_number(env_retries, given.retries, 0);
    override_seconds(env_timeout, given.timeout);
    if (const char* journal = std::getenv(env_journal)) given.journal = journal;
    if (given.threads_per_worker < 1)
        throw ConfigError("Options::threads_per_worker must be at least 1, not " + std::to_string(given.threads_per_worker));
    if (given.retries < 0) throw ConfigError("Options::retries must be at least 0, not " + std::to_string(given.retries));
    if (!(given.timeout.count() >= 0))
        throw ConfigError("Options::timeout must be 0 (none) or more, not " + std::to_string(given.timeout.count()) + " s");
    return given;
}

}  // namespace taskfarm::detail
