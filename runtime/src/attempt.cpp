#include "attempt.hpp"

#include "log.hpp"
#include "signals.hpp"
#include "task_output.hpp"

#include <taskfarm/detail/registry.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>

namespace taskfarm::detail {
namespace {

using Clock = std::chrono::steady_clock;

std::int32_t attempt_number(const TaskSpec& spec) { return static_cast<std::int32_t>(spec.attempt); }

Bytes failure(std::string type_name, std::string message, const TaskSpec& spec) {
    return encode_failure({std::move(type_name), std::move(message), own_rank(), host_name(), attempt_number(spec)});
}

// output_dir: Options::task_output_dir, empty for none.
AttemptResult run_here(const TaskSpec& spec, const std::string& output_dir) {
    AttemptResult result;
    auto started = Clock::now();
    RunLimits limits;
    std::optional<ElementOutput> element_output;
    if (spec.elements > 0) {
        limits = {spec.retries, spec.timeout_ns};
        if (!output_dir.empty()) limits.around_element = &element_output.emplace(output_dir, spec.task);
    }
    try {
        auto invoker = find_invoker(spec.invoker);
        std::optional<TaskOutput> output;  // a chunk's elements each have their own instead
        if (spec.elements == 0 && !output_dir.empty()) output.emplace(output_dir, spec.task);
        result.payload = invoker({spec.module, spec.offset}, spec.args, limits);
    } catch (...) {
        result.outcome = Outcome::error;
        result.payload = encode_current_exception(attempt_number(spec));
    }
    result.run_time = Clock::now() - started;
    auto ran = static_cast<std::uint64_t>(result.run_time.count());
    if (spec.elements == 0 && spec.timeout_ns > 0 && ran > spec.timeout_ns) {
        result.outcome = Outcome::error;
        result.payload = encode_timeout(ran, spec.timeout_ns, attempt_number(spec));
    }
    return result;
}

void write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        auto written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) _exit(120);
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

// The child: runs the task, writes its outcome byte and payload to the pipe, and leaves
// without running anything of the parent's (no destructors, no atexit, no MPI). What the
// task printed is flushed first, since _exit does not.
[[noreturn]] void run_child(const TaskSpec& spec, int out, const std::string& output_dir) {
    restore_default_signals();
    set_running_task(0);  // a task here that calls exit() ends only this child
    auto result = run_here(spec, output_dir);
    flush_standard_streams();
    char outcome = static_cast<char>(result.outcome);
    write_all(out, &outcome, 1);
    write_all(out, result.payload.data(), result.payload.size());
    _exit(0);
}

AttemptResult run_isolated(const TaskSpec& spec, const std::string& output_dir) {
    int pipe_ends[2];
    if (::pipe2(pipe_ends, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    // The child gets a copy of the stdio buffers: empty them first, or it would print
    // what this process had buffered a second time.
    flush_standard_streams();
    auto started = Clock::now();
    pid_t child = ::fork();
    if (child < 0) {
        ::close(pipe_ends[0]);
        ::close(pipe_ends[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (child == 0) {
        ::close(pipe_ends[0]);
        run_child(spec, pipe_ends[1], output_dir);
    }
    ::close(pipe_ends[1]);
    int in = pipe_ends[0];

    std::uint64_t limit_ns = spec.timeout_ns * (spec.elements > 0 ? spec.elements : 1);
    auto deadline = started + std::chrono::nanoseconds(limit_ns);
    Bytes received;
    bool timed_out = false;
    char buffer[1 << 16];
    for (;;) {
        int wait_ms = -1;
        if (limit_ns > 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) {
                timed_out = true;
                break;
            }
            wait_ms = static_cast<int>(std::min<long long>(left + 1, 1 << 30));
        }
        pollfd ready{in, POLLIN, 0};
        int polled = ::poll(&ready, 1, wait_ms);
        if (polled < 0 && errno == EINTR) continue;
        if (polled == 0) continue;  // the deadline is checked above
        auto got = ::read(in, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;  // the child closed its end: it is done or dead
        received.insert(received.end(), buffer, buffer + got);
    }
    ::close(in);
    if (timed_out) ::kill(child, SIGKILL);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }

    AttemptResult result;
    result.run_time = Clock::now() - started;
    if (timed_out) {
        result.outcome = Outcome::error;
        result.payload = encode_timeout(static_cast<std::uint64_t>(result.run_time.count()), limit_ns, attempt_number(spec));
    } else if (WIFSIGNALED(status)) {
        int signal = WTERMSIG(status);
        result.outcome = Outcome::error;
        result.payload = failure(std::string("signal ") + signal_name(signal),
                                 "the task's process was killed by " + std::string(signal_name(signal)) + " (" +
                                     strsignal(signal) + ")",
                                 spec);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || received.empty()) {
        result.outcome = Outcome::error;
        result.payload = failure("taskfarm::ChildExit",
                                 "the task's process exited with status " + std::to_string(WEXITSTATUS(status)) +
                                     " before it reported a result (did the task call exit()?)",
                                 spec);
    } else {
        result.outcome = static_cast<Outcome>(received.front());
        result.payload.assign(received.begin() + 1, received.end());
        return result;
    }
    // The child crashed, was stopped or left early: it could not remove its empty output files.
    if (!output_dir.empty()) remove_empty_task_output(output_dir, spec);
    return result;
}

}  // namespace

AttemptResult run_attempt(const TaskSpec& spec, const Options& options) {
    set_running_task(spec.task);
    AttemptResult result;
    try {
        result = options.isolate ? run_isolated(spec, options.task_output_dir) : run_here(spec, options.task_output_dir);
    } catch (...) {  // the child could not be started
        result.outcome = Outcome::error;
        result.payload = encode_current_exception(attempt_number(spec));
    }
    set_running_task(0);
    return result;
}

}  // namespace taskfarm::detail
