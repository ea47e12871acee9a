#include "config.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace taskfarm::detail {
namespace {

// One setting, whatever its source: the environment variable or the flag names it in errors.
template <class Number>
void set_number(const std::string& source, std::string_view text, Number& field, Number least) {
    Number parsed{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error != std::errc() || end != text.data() + text.size() || parsed < least)
        throw ConfigError(source + " must be a whole number of at least " + std::to_string(least) + ", not '" +
                          std::string(text) + "'");
    field = parsed;
}

void set_flag(const std::string& source, std::string_view text, bool& field) {
    if (text == "1" || text == "true" || text == "yes" || text == "on") field = true;
    else if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) field = false;
    else throw ConfigError(source + " must be 1 or 0 (or true/false, yes/no, on/off), not '" + std::string(text) + "'");
}

void set_seconds(const std::string& source, std::string_view text, std::chrono::duration<double>& field) {
    std::string copy(text);
    char* end = nullptr;
    double seconds = std::strtod(copy.c_str(), &end);
    if (copy.empty() || *end != '\0' || !(seconds >= 0))
        throw ConfigError(source + " must be a number of seconds (0 for none), not '" + copy + "'");
    field = std::chrono::duration<double>(seconds);
}

void set_progress(const std::string& source, std::string_view text, Options::Progress& field) {
    if (text == "auto") field = Options::Progress::automatic;
    else if (text == "on" || text == "1" || text == "true" || text == "yes") field = Options::Progress::always;
    else if (text == "off" || text == "0" || text == "false" || text == "no") field = Options::Progress::never;
    else throw ConfigError(source + " must be auto, on or off, not '" + std::string(text) + "'");
}

// Every setting: its name (TASKFARM_<NAME> and --taskfarm-<name>), and how to apply a value.
struct Setting {
    const char* name;
    void (*apply)(const std::string& source, std::string_view text, Options& options);
    const char* value_when_bare;  // a flag given without "=value"; null when a value is required
};

const Setting settings[] = {
    {"threads-per-worker", [](const std::string& s, std::string_view t, Options& o) { set_number(s, t, o.threads_per_worker, 1); }, nullptr},
    {"inline-result-limit", [](const std::string& s, std::string_view t, Options& o) { set_number<std::size_t>(s, t, o.inline_result_limit, 0); }, nullptr},
    {"isolate", [](const std::string& s, std::string_view t, Options& o) { set_flag(s, t, o.isolate); }, "1"},
    {"retries", [](const std::string& s, std::string_view t, Options& o) { set_number(s, t, o.retries, 0); }, nullptr},
    {"timeout", [](const std::string& s, std::string_view t, Options& o) { set_seconds(s, t, o.timeout); }, nullptr},
    {"worker-timeout", [](const std::string& s, std::string_view t, Options& o) { set_seconds(s, t, o.worker_timeout); }, nullptr},
    {"journal", [](const std::string&, std::string_view t, Options& o) { o.journal = std::string(t); }, nullptr},
    {"verbose", [](const std::string& s, std::string_view t, Options& o) { set_flag(s, t, o.verbose); }, "1"},
    {"progress", [](const std::string& s, std::string_view t, Options& o) { set_progress(s, t, o.progress); }, "on"},
    {"log-dir", [](const std::string&, std::string_view t, Options& o) { o.log_dir = std::string(t); }, nullptr},
    {"progress-interval", [](const std::string& s, std::string_view t, Options& o) { set_seconds(s, t, o.progress_interval); }, nullptr},
    {"task-output-dir", [](const std::string&, std::string_view t, Options& o) { o.task_output_dir = std::string(t); }, nullptr},
};

std::string variable_of(std::string_view name) {
    std::string variable = "TASKFARM_";
    for (char c : name) variable += c == '-' ? '_' : char(std::toupper(static_cast<unsigned char>(c)));
    return variable;
}

}  // namespace

std::string environment_variable(std::string_view setting) { return variable_of(setting); }

Options effective_options(Options given, int& argc, char** argv) {
    for (const auto& setting : settings) {
        auto variable = variable_of(setting.name);
        if (const char* text = std::getenv(variable.c_str())) setting.apply(variable, text, given);
    }
    // --taskfarm-<name>[=value] flags win over both, and are taken out of argv.
    constexpr std::string_view prefix = "--taskfarm-";
    int kept = argc > 0 ? 1 : 0;
    for (int i = kept; i < argc; ++i) {
        std::string_view argument(argv[i]);
        if (argument.substr(0, prefix.size()) != prefix) {
            argv[kept++] = argv[i];
            continue;
        }
        auto rest = argument.substr(prefix.size());
        auto equals = rest.find('=');
        auto name = rest.substr(0, equals);
        const Setting* setting = nullptr;
        for (const auto& s : settings)
            if (name == s.name) setting = &s;
        if (!setting) throw ConfigError("unknown flag " + std::string(argument) + " (taskfarm's flags are listed in docs/hpc.md)");
        std::string flag = "--taskfarm-" + std::string(name);
        if (equals != std::string_view::npos) setting->apply(flag, rest.substr(equals + 1), given);
        else if (setting->value_when_bare) setting->apply(flag, setting->value_when_bare, given);
        else throw ConfigError(flag + " needs a value: " + flag + "=...");
    }
    if (argc > 0) {
        argc = kept;
        argv[argc] = nullptr;
    }
    if (given.threads_per_worker < 1)
        throw ConfigError("Options::threads_per_worker must be at least 1, not " + std::to_string(given.threads_per_worker));
    if (given.retries < 0) throw ConfigError("Options::retries must be at least 0, not " + std::to_string(given.retries));
    if (!(given.progress_interval.count() > 0))
        throw ConfigError("Options::progress_interval must be more than 0 seconds");
    if (!(given.worker_timeout.count() >= 0))
        throw ConfigError("Options::worker_timeout must be 0 (never) or more, not " +
                          std::to_string(given.worker_timeout.count()) + " s");
    if (!(given.timeout.count() >= 0))
        throw ConfigError("Options::timeout must be 0 (none) or more, not " + std::to_string(given.timeout.count()) + " s");
    // A process has one stdout and one stderr (descriptors 1 and 2): without isolation, two
    // tasks running at once on a worker would write into each other's files.
    if (!given.task_output_dir.empty() && !given.isolate && given.threads_per_worker > 1)
        throw ConfigError("Options::task_output_dir needs isolate or threads_per_worker=1 (it is " +
                          std::to_string(given.threads_per_worker) +
                          "): tasks running at once in one process share its stdout and stderr");
    return given;
}

std::string describe(const Options& options) {
    return "threads_per_worker=" + std::to_string(options.threads_per_worker) +
           " inline_result_limit=" + std::to_string(options.inline_result_limit) +
           " isolate=" + (options.isolate ? "1" : "0") + " retries=" + std::to_string(options.retries) +
           " timeout=" + std::to_string(options.timeout.count()) + "s worker_timeout=" +
           std::to_string(options.worker_timeout.count()) + "s journal=" +
           (options.journal.empty() ? "(none)" : options.journal) + " verbose=" + (options.verbose ? "1" : "0") +
           " progress=" +
           (options.progress == Options::Progress::automatic ? "auto"
            : options.progress == Options::Progress::always  ? "on"
                                                              : "off") +
           " progress_interval=" + std::to_string(options.progress_interval.count()) + "s log_dir=" +
           (options.log_dir.empty() ? "(none)" : options.log_dir) + " task_output_dir=" +
           (options.task_output_dir.empty() ? "(none)" : options.task_output_dir);
}

}  // namespace taskfarm::detail
