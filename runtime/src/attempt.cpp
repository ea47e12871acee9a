#include "attempt.hpp"

#include "element_timing.hpp"
#include "failure.hpp"
#include "log.hpp"
#include "signals.hpp"
#include "task_output.hpp"

#include <taskfarm/detail/registry.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <sys/prctl.h>
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

// The task's process died (a signal) or left without reporting a result.
Bytes crash(std::string type_name, std::string message, const TaskSpec& spec) {
    return encode_failure({std::move(type_name), std::move(message), own_rank(), host_name(), attempt_number(spec),
                           TaskError::Cause::crash});
}

// output_dir: Options::task_output_dir, empty for none. timed: time each element's runs.
AttemptResult run_here(const TaskSpec& spec, const std::string& output_dir, std::span<const std::span<const char>> inputs,
                       bool timed = false) {
    AttemptResult result;
    auto started = Clock::now();
    RunContext limits;
    std::optional<ElementOutput> element_output;
    std::optional<ElementTiming> element_timing;
    if (spec.elements > 0) {
        limits = {spec.retries, spec.timeout_ns};
        if (!output_dir.empty()) limits.around_element = &element_output.emplace(output_dir, spec.task);
        if (timed) {
            result.element_runs.reserve(spec.elements);  // a run each, unless elements are retried
            limits.around_element = &element_timing.emplace(result.element_runs, limits.around_element);
        }
    }
    limits.inputs = inputs;
    try {
        auto invoker = find_invoker(spec.invoker);
        std::optional<TaskOutput> output;  // a chunk's elements each have their own instead
        if (spec.elements == 0 && !output_dir.empty()) output.emplace(output_dir, spec.task);
        result.payload = invoker({spec.module, spec.offset}, spec.args, limits);
    } catch (...) {
        result.outcome = Outcome::error;
        result.payload = encode_current_exception(attempt_number(spec));
    }
    if (element_timing) element_timing->finish();
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

// In an isolated child, from the kernel when its worker dies (PR_SET_PDEATHSIG): ends the
// child's whole process group, the child with it. The group is the child's own (so that a
// timeout can kill what the task started), which puts it out of reach of a launcher that
// ends a job by killing its ranks' groups (as OpenMPI's does): without this, what the task
// started would outlive the job, and hold mpirun open through the stdout it inherited.
// A signal the child catches rather than SIGKILL, since SIGKILL would end the child alone;
// the last real-time signal, the one a task is least likely to use itself.
void on_worker_death(int) { ::kill(0, SIGKILL); }

// The child: runs the task, writes its outcome byte and payload to the pipe, and leaves
// without running anything of the parent's (no destructors, no atexit, no MPI). What the
// task printed is flushed first, since _exit does not.
[[noreturn]] void run_child(const TaskSpec& spec, int out, const std::string& output_dir, pid_t worker,
                            std::span<const std::span<const char>> inputs) {
    // Its own process group, so that what the task starts (system("..."), a pipeline) is
    // killed with it; and the group ends when the worker dies (strictly: the worker's thread
    // that forked this child, which waits for it). The worker may have died before prctl
    // ran: then this child has a new parent already, and nothing of the task runs yet.
    ::setpgid(0, 0);
    restore_default_signals();
    int worker_death = SIGRTMAX;
    struct sigaction action {};
    action.sa_handler = on_worker_death;
    sigemptyset(&action.sa_mask);
    ::sigaction(worker_death, &action, nullptr);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, worker_death);
    ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);  // the forking thread's mask is inherited
    ::prctl(PR_SET_PDEATHSIG, worker_death);
    if (::getppid() != worker) _exit(121);
    set_running_task(0);  // a task here that calls exit() ends only this child
    auto result = run_here(spec, output_dir, inputs);
    flush_standard_streams();
    char outcome = static_cast<char>(result.outcome);
    write_all(out, &outcome, 1);
    write_all(out, result.payload.data(), result.payload.size());
    _exit(0);
}

AttemptResult run_isolated(const TaskSpec& spec, const std::string& output_dir,
                           std::span<const std::span<const char>> inputs) {
    int pipe_ends[2];
    if (::pipe2(pipe_ends, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    // The child gets a copy of the stdio buffers: empty them first, or it would print
    // what this process had buffered a second time.
    flush_standard_streams();
    auto started = Clock::now();
    pid_t worker = ::getpid();
    pid_t child = ::fork();
    if (child < 0) {
        ::close(pipe_ends[0]);
        ::close(pipe_ends[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (child == 0) {
        ::close(pipe_ends[0]);
        run_child(spec, pipe_ends[1], output_dir, worker, inputs);
    }
    // Here too: the group must exist before a kill(-child) below, whichever runs first
    // (an error means the child has already made it, or is gone).
    ::setpgid(child, child);
    ::close(pipe_ends[1]);
    int in = pipe_ends[0];

    std::uint64_t limit_ns = time_limit_ns(spec);
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
    if (timed_out) ::kill(-child, SIGKILL);
    // The child's status is looked at before it is reaped (WNOWAIT): until then its pid, and
    // so its group's id, cannot be reused, and a group left by a child that died badly can
    // still be killed safely.
    siginfo_t ended{};
    while (::waitid(P_PID, static_cast<id_t>(child), &ended, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    bool reported = ended.si_code == CLD_EXITED && ended.si_status == 0 && !received.empty();
    if (!timed_out && !reported) ::kill(-child, SIGKILL);
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
        result.payload = crash(std::string("signal ") + signal_name(signal),
                                 "the task's process was killed by " + std::string(signal_name(signal)) + " (" +
                                     strsignal(signal) + ")",
                                 spec);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || received.empty()) {
        result.outcome = Outcome::error;
        result.payload = crash("taskfarm::ChildExit",
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

std::uint64_t time_limit_ns(const TaskSpec& spec) {
    constexpr std::uint64_t century_ns = 36525ull * 24 * 3600 * 1'000'000'000;  // as config.cpp's
    std::uint64_t count = spec.elements > 0 ? spec.elements : 1;
    if (spec.timeout_ns == 0 || spec.timeout_ns > century_ns / count) return 0;
    return spec.timeout_ns * count;
}

void append_attempt_events(EventBatch& batch, const TaskSpec& spec, const AttemptResult& attempt, std::uint32_t thread,
                           std::int64_t queued_ns, std::int64_t start_ns, std::uint64_t bytes_in) {
    // The run was timed from a moment a little after start_ns: it ends no earlier than its
    // last element run, which the trace draws inside it.
    auto end_ns = start_ns + attempt.run_time.count();
    if (!attempt.element_runs.empty()) end_ns = std::max(end_ns, attempt.element_runs.back().end_ns);
    batch.attempts.push_back({spec.task, spec.attempt, thread, queued_ns, start_ns, end_ns,
                              std::uint8_t(attempt.outcome == Outcome::error ? 0 : 1), bytes_in, attempt.payload.size(),
                              spec.elements, std::uint32_t(attempt.element_runs.size())});
    batch.element_runs.insert(batch.element_runs.end(), attempt.element_runs.begin(), attempt.element_runs.end());
}

AttemptResult run_attempt(const TaskSpec& spec, const Options& options, std::span<const std::span<const char>> inputs) {
    set_running_task(spec.task);
    AttemptResult result;
    try {
        result = options.isolate ? run_isolated(spec, options.task_output_dir, inputs)
                                 : run_here(spec, options.task_output_dir, inputs, records_events(options));
    } catch (...) {  // the child could not be started
        result.outcome = Outcome::error;
        result.payload = encode_current_exception(attempt_number(spec));
    }
    set_running_task(0);
    return result;
}

}  // namespace taskfarm::detail
