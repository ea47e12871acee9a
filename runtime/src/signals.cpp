#include "signals.hpp"

#include "log.hpp"
#include "ending.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

namespace taskfarm::detail {
namespace {

constexpr int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int stop_signals[] = {SIGTERM, SIGINT, SIGUSR1};

std::atomic<int> received_stop{0};
thread_local std::uint64_t running_task = 0;
// The process that runs the farm, set by install_signal_handlers (0: not yet).
std::atomic<pid_t> farm_pid{0};

// A process forked by a task (fork() copies the handlers, and the forking thread's
// running_task, into it). getpid is async-signal-safe.
bool forked_copy() {
    pid_t farm = farm_pid.load();
    return farm != 0 && ::getpid() != farm;
}

// In a forked copy a signal gets the default action it would have had without taskfarm.
void act_as_default(int signal) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);  // delivered when the handler returns
}

// Async-signal-safe text building: no allocation, no locale.
struct Line {
    char text[512];
    std::size_t size = 0;
    void add(const char* s) {
        while (*s && size < sizeof text) text[size++] = *s++;
    }
    void add(std::uint64_t n) {
        char digits[24];
        int count = 0;
        do digits[count++] = char('0' + n % 10);
        while ((n /= 10) != 0);
        while (count > 0 && size < sizeof text) text[size++] = digits[--count];
    }
};

void on_crash(int signal) {
    if (forked_copy()) return act_as_default(signal);  // not this farm's crash to report
    Line line;
    line.add(log_prefix());
    if (running_task != 0) {
        line.add("task ");
        line.add(running_task);
        line.add(" crashed the process: ");
    } else {
        line.add("the process crashed: ");
    }
    line.add(signal_name(signal));
    line.add(" (signal ");
    line.add(std::uint64_t(signal));
    line.add(")");
    if (running_task != 0) line.add("; the job ends. With Options::isolate a crashing task fails alone.");
    line.add("\n");
    write_log(line.text, line.size);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

void on_stop(int signal) {
    // A task's helper that is sent SIGTERM must die of it, not note it for a farm it is no
    // part of (its task would wait for it for ever).
    if (forked_copy()) return act_as_default(signal);
    int none = 0;
    received_stop.compare_exchange_strong(none, signal);  // the first one counts; later ones are harmless
}

void on_exit_during_task(int status, void*) {
    // A helper process a task forked that calls exit() ends only itself: it must not report
    // the task nor call MPI_Abort (which, from a forked copy, blocks for ever).
    if (running_task == 0 || !in_farm_process()) return;
    int job_status = status == 0 ? 1 : status;
    log_line("task " + std::to_string(running_task) + " called exit(" + std::to_string(status) +
             "), which ends its worker; the job ends with status " + std::to_string(job_status) +
             ". With Options::isolate such a task fails alone.");
    abort_job(job_status);
}

void handle(int signal, void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(signal, &action, nullptr);
}

}  // namespace

void install_signal_handlers() {
    farm_pid = ::getpid();
    for (int signal : crash_signals) handle(signal, on_crash);
    for (int signal : stop_signals) handle(signal, on_stop);
    on_exit(on_exit_during_task, nullptr);
}

void restore_default_signals() {
    for (int signal : crash_signals) handle(signal, SIG_DFL);
    for (int signal : stop_signals) handle(signal, SIG_DFL);
}

void note_stop_signals() {
    for (int signal : stop_signals) handle(signal, on_stop);
}

void restore_default_stop_signals() {
    for (int signal : stop_signals) handle(signal, SIG_DFL);
    if (int signal = received_stop.exchange(0)) std::raise(signal);
}

bool in_farm_process() {
    pid_t farm = farm_pid.load();
    return farm != 0 && ::getpid() == farm;
}

void set_running_task(std::uint64_t task) { running_task = task; }

std::uint64_t current_task() { return running_task; }

int stop_signal() { return received_stop.load(); }

const char* signal_name(int signal) {
    switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    }
    return "a signal";
}

}  // namespace taskfarm::detail
