#pragma once
// Signals. A crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) is reported with the rank and
// the task that was running, then ends the process as the signal would have. A request to
// stop (SIGTERM, SIGINT, SIGUSR1: what Slurm and mpirun send at a time limit or on
// Ctrl-C) is only noted here; each rank's progress thread sees it and ends the job.

#include <cstdint>

namespace taskfarm::detail {

// Installs both kinds of handler, and a report for a task that calls exit() (which would
// otherwise end its worker without a word). Call once, after MPI is initialised (MPI
// installs handlers of its own). Notes the calling process as the one that runs the farm.
void install_signal_handlers();
// Whether this is the process that installed the handlers above, rather than a copy of it
// that a task forked (a helper, or an isolated task's child): such a copy inherits the
// handlers and the running task, but a crash, a stop signal or exit() there must not act
// for the farm. An exit handler calls this first. False before the handlers are installed.
bool in_farm_process();
// In a child process that runs one task: every signal back to its default action.
void restore_default_signals();
// Notes stop signals from the very start, before MPI is initialised: a time-limit warning
// that comes while the job starts up is then honoured once the farm runs, not fatal.
void note_stop_signals();
// A one-rank program (tasks run inline) has no farm to stop: stop signals get back their
// default action, and one noted meanwhile is raised again.
void restore_default_stop_signals();

// The task the calling thread runs now (0: none), for the crash report.
void set_running_task(std::uint64_t task);
// The task the calling thread runs now, or 0.
std::uint64_t current_task();

// The stop signal received so far, or 0.
int stop_signal();
// "SIGTERM", "SIGSEGV", ...
const char* signal_name(int signal);

}  // namespace taskfarm::detail
