#include "config.hpp"

#include "resources.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <algorithm>

namespace taskfarm::detail {
namespace {

// A timeout this long or longer means none: nanoseconds since a clock's epoch plus the
// timeout (times a chunk's elements) must stay far inside 64 bits.
constexpr double century_seconds = 36525.0 * 24 * 3600;  // 100 years of 365.25 days

// A number of seconds as the user would write it: "1e-12", "0.5", "inf".
std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

std::string under_a_nanosecond(std::string_view name, std::string_view value) {
    return std::string(name) + " of " + std::string(value) +
           " s is under a nanosecond and would mean no limit: give at least 1e-9 s, or 0 or inf for none";
}

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
    if (copy.empty() || *end != '\0' || !(seconds > 0) || !std::isfinite(seconds))
        throw ConfigError(source + " must be a number of seconds more than 0, not '" + copy + "'");
    field = std::chrono::duration<double>(seconds);
}

// A timeout: seconds, 0 or inf (strtod also reads "infinity", in any case) for none.
void set_timeout(const std::string& source, std::string_view text, std::chrono::duration<double>& field) {
    std::string copy(text);
    char* end = nullptr;
    errno = 0;
    double seconds = std::strtod(copy.c_str(), &end);
    if (copy.empty() || *end != '\0' || !(seconds >= 0))
        throw ConfigError(source + " must be a number of seconds (0 or inf for none), not '" + copy + "'");
    // A number too small for a double (1e-400) reads as 0 or nearly, with ERANGE.
    if (errno == ERANGE && seconds < 1) throw ConfigError(under_a_nanosecond(source, copy));
    field = std::chrono::duration<double>(seconds);
    timeout_nanoseconds(field, source);  // refuses one under a nanosecond, naming the source
}

// threads_per_worker beyond what this machine can run would let every worker die creating
// its threads ("Resource temporarily unavailable"): refused here instead.
void check_threads(const std::string& source, int threads) {
    auto limit = threads_per_worker_limit();
    if (threads > limit.most)
        throw ConfigError(source + " must be at most " + std::to_string(limit.most) + " (" + limit.set_by + "), not " +
                          std::to_string(threads));
}

// Each local worker is a few threads of this one process: bounded like threads_per_worker.
void check_local_workers(const std::string& source, int workers) {
    auto limit = threads_per_worker_limit();
    if (workers > limit.most)
        throw ConfigError(source + " must be at most " + std::to_string(limit.most) + " (" + limit.set_by + "), not " +
                          std::to_string(workers));
}

// Checks a timeout of the Options, and writes none as 0: inf and centuries never reach the
// code that counts in nanoseconds.
void check_timeout(std::chrono::duration<double>& field, std::string_view name) {
    if (timeout_nanoseconds(field, name) == 0) field = std::chrono::duration<double>(0);
}

void set_progress(const std::string& source, std::string_view text, Options::Progress& field) {
    if (text == "auto") field = Options::Progress::automatic;
    else if (text == "on" || text == "1" || text == "true" || text == "yes") field = Options::Progress::always;
    else if (text == "off" || text == "0" || text == "false" || text == "no") field = Options::Progress::never;
    else throw ConfigError(source + " must be auto, on or off, not '" + std::string(text) + "'");
}

void set_resources(const std::string& source, std::string_view text, std::map<std::string, double>& field) {
    try {
        field = parse_resources(text);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(source + " " + e.what());
    }
}

// Every setting: its name (TASKFARM_<NAME> and --taskfarm-<name>), and how to apply a value.
struct Setting {
    const char* name;
    void (*apply)(const std::string& source, std::string_view text, Options& options);
    const char* value_when_bare;  // a flag given without "=value"; null when a value is required
};

const Setting settings[] = {
    {"threads-per-worker", [](const std::string& s, std::string_view t, Options& o) { set_number(s, t, o.threads_per_worker, 1); check_threads(s, o.threads_per_worker); }, nullptr},
    {"local-workers", [](const std::string& s, std::string_view t, Options& o) { set_number(s, t, o.local_workers, -1); check_local_workers(s, o.local_workers); }, nullptr},
    {"inline-result-limit", [](const std::string& s, std::string_view t, Options& o) { set_number<std::size_t>(s, t, o.inline_result_limit, 0); }, nullptr},
    {"max-pending-bytes", [](const std::string& s, std::string_view t, Options& o) { set_number<std::size_t>(s, t, o.max_pending_bytes, 0); }, nullptr},
    {"isolate", [](const std::string& s, std::string_view t, Options& o) { set_flag(s, t, o.isolate); }, "1"},
    {"retries", [](const std::string& s, std::string_view t, Options& o) { set_number(s, t, o.retries, 0); }, nullptr},
    {"timeout", [](const std::string& s, std::string_view t, Options& o) { set_timeout(s, t, o.timeout); }, nullptr},
    {"worker-timeout", [](const std::string& s, std::string_view t, Options& o) { set_timeout(s, t, o.worker_timeout); }, nullptr},
    {"journal", [](const std::string&, std::string_view t, Options& o) { o.journal = std::string(t); }, nullptr},
    {"trace", [](const std::string&, std::string_view t, Options& o) { o.trace = std::string(t); }, nullptr},
    {"report", [](const std::string&, std::string_view t, Options& o) { o.report = std::string(t); }, nullptr},
    {"report-interval", [](const std::string& s, std::string_view t, Options& o) { set_seconds(s, t, o.report_interval); }, nullptr},
    {"verbose", [](const std::string& s, std::string_view t, Options& o) { set_flag(s, t, o.verbose); }, "1"},
    {"progress", [](const std::string& s, std::string_view t, Options& o) { set_progress(s, t, o.progress); }, "on"},
    {"log-dir", [](const std::string&, std::string_view t, Options& o) { o.log_dir = std::string(t); }, nullptr},
    {"progress-interval", [](const std::string& s, std::string_view t, Options& o) { set_seconds(s, t, o.progress_interval); }, nullptr},
    {"task-output-dir", [](const std::string&, std::string_view t, Options& o) { o.task_output_dir = std::string(t); }, nullptr},
    {"worker-resources", [](const std::string& s, std::string_view t, Options& o) { set_resources(s, t, o.worker_resources); }, nullptr},
};

std::string variable_of(std::string_view name) {
    std::string variable = "TASKFARM_";
    for (char c : name) variable += c == '-' ? '_' : char(std::toupper(static_cast<unsigned char>(c)));
    return variable;
}

}  // namespace

std::string environment_variable(std::string_view setting) { return variable_of(setting); }

int cores_available() {
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    cpu_set_t affinity;
    CPU_ZERO(&affinity);
    if (::sched_getaffinity(0, sizeof affinity, &affinity) == 0) {
        int allowed = CPU_COUNT(&affinity);
        if (allowed > 0 && (cores == 0 || allowed < cores)) cores = allowed;
    }
    return std::max(cores, 1);
}

int local_workers_in_force(const Options& options) {
    return options.local_workers < 0 ? cores_available() : options.local_workers;
}

// Why a limit at all: any number parses, and 100000 threads per worker makes every worker die
// creating them. 4096 is far beyond a node's cores, and beyond what tasks that wait on I/O
// rather than compute need; each thread also reserves a stack (8 MiB of address space by
// default: 32 GiB for 4096). Under it, the threads must fit in what this process may ever
// have: RLIMIT_NPROC (ulimit -u) counts all of the user's processes and threads, and
// threads-max all of the system's, so neither can be passed by one process alone. (The
// kernel exempts root from RLIMIT_NPROC; a limit set anyway is taken as meant.) These are
// bounds, not promises: other processes share them, so a value under them can still fail.
ThreadLimit threads_per_worker_limit() {
    ThreadLimit limit{4096, "taskfarm's limit on threads per worker"};
    rlimit processes{};
    if (::getrlimit(RLIMIT_NPROC, &processes) == 0 && processes.rlim_cur != RLIM_INFINITY &&
        processes.rlim_cur < static_cast<rlim_t>(limit.most))
        limit = {static_cast<int>(processes.rlim_cur), "this process's RLIMIT_NPROC, ulimit -u"};
    long system_threads = 0;
    if (std::ifstream("/proc/sys/kernel/threads-max") >> system_threads && system_threads > 0 &&
        system_threads < limit.most)
        limit = {static_cast<int>(system_threads), "/proc/sys/kernel/threads-max"};
    return limit;
}

std::string timeout_problem(std::chrono::duration<double> timeout, std::string_view name, std::uint64_t& nanoseconds) {
    double seconds = timeout.count();
    nanoseconds = 0;
    if (!(seconds >= 0))
        return std::string(name) + " must be 0 or more seconds (0 or inf for none), not " + seconds_text(seconds) + " s";
    if (seconds >= century_seconds) return {};  // inf, or as good as: none
    nanoseconds = static_cast<std::uint64_t>(std::round(seconds * 1e9));
    if (nanoseconds == 0 && seconds > 0) return under_a_nanosecond(name, seconds_text(seconds));
    return {};
}

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
    check_threads("Options::threads_per_worker", given.threads_per_worker);
    if (given.local_workers < -1)
        throw ConfigError("Options::local_workers must be -1 (one per core), 0 (inline) or a number of workers, not " +
                          std::to_string(given.local_workers));
    check_local_workers("Options::local_workers", given.local_workers);
    if (given.retries < 0) throw ConfigError("Options::retries must be at least 0, not " + std::to_string(given.retries));
    if (!(given.report_interval.count() > 0) || !std::isfinite(given.report_interval.count()))
        throw ConfigError("Options::report_interval must be a number of seconds more than 0, not " +
                          seconds_text(given.report_interval.count()));
    if (!(given.progress_interval.count() > 0) || !std::isfinite(given.progress_interval.count()))
        throw ConfigError("Options::progress_interval must be a number of seconds more than 0, not " +
                          seconds_text(given.progress_interval.count()));
    for (const auto& [name, amount] : given.worker_resources)
        if (name.empty() || name.find_first_of(",=") != std::string::npos || !(amount >= 0) || !std::isfinite(amount))
            throw ConfigError("Options::worker_resources must name each resource (without ',' or '=') with an amount "
                              "of 0 or more, not '" + name + "' = " + seconds_text(amount));
    check_timeout(given.worker_timeout, "Options::worker_timeout");  // 0 or inf: never
    check_timeout(given.timeout, "Options::timeout");
    // A process has one stdout and one stderr (descriptors 1 and 2): without isolation, two
    // tasks running at once on a worker would write into each other's files.
    if (!given.task_output_dir.empty() && !given.isolate && given.threads_per_worker > 1)
        throw ConfigError("Options::task_output_dir needs isolate or threads_per_worker=1 (it is " +
                          std::to_string(given.threads_per_worker) +
                          "): tasks running at once in one process share its stdout and stderr");
    return given;
}

std::vector<std::pair<std::string, std::string>> settings_of(const Options& options) {
    auto seconds = [](std::chrono::duration<double> d) { return std::to_string(d.count()) + "s"; };
    auto path = [](const std::string& p) { return p.empty() ? std::string("(none)") : p; };
    return {
        {"threads_per_worker", std::to_string(options.threads_per_worker)},
        {"local_workers", std::to_string(options.local_workers)},
        {"inline_result_limit", std::to_string(options.inline_result_limit)},
        {"max_pending_bytes", std::to_string(options.max_pending_bytes)},
        {"isolate", options.isolate ? "1" : "0"},
        {"retries", std::to_string(options.retries)},
        {"timeout", seconds(options.timeout)},
        {"worker_timeout", seconds(options.worker_timeout)},
        {"journal", path(options.journal)},
        {"trace", path(options.trace)},
        {"report", path(options.report)},
        {"report_interval", seconds(options.report_interval)},
        {"verbose", options.verbose ? "1" : "0"},
        {"progress", options.progress == Options::Progress::automatic ? "auto"
                     : options.progress == Options::Progress::always  ? "on"
                                                                       : "off"},
        {"progress_interval", seconds(options.progress_interval)},
        {"log_dir", path(options.log_dir)},
        {"task_output_dir", path(options.task_output_dir)},
        // Not the address, which differs between processes of one binary: that one is given.
        {"worker_initializer", options.worker_initializer ? "(set)" : "(none)"},
        // May differ between ranks (startup.cpp): each worker says what it has.
        {"worker_resources", resources_text(options.worker_resources)},
    };
}

std::string describe(const Options& options) {
    std::string text;
    for (const auto& [name, value] : settings_of(options)) text += (text.empty() ? "" : " ") + name + "=" + value;
    return text;
}

}  // namespace taskfarm::detail
