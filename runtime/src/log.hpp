#pragma once
// Every line the runtime prints names the rank, its role and its host: the identity of the
// role the calling thread works for (identity.hpp).

#include "identity.hpp"

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

namespace taskfarm::detail {

// The calling thread's role's rank and host, for the records that name them.
int own_rank();
const std::string& host_name();

// From now on lines go to a duplicate of the stderr the process has now, so that they
// still reach it while a task's stderr is sent elsewhere (Options::task_output_dir).
// Called once at start-up, before any task runs.
void keep_original_stderr();
// Writes "taskfarm[rank R role@host]: text" to stderr in one write.
void log_line(std::string_view text);
// "taskfarm[rank R role@host]: " of the calling thread's role; safe in a signal handler.
const char* log_prefix();
// From now on every line of that role also goes to <directory>/rank-<R>.log (appended).
// Throws std::runtime_error when the file cannot be made.
void log_to_directory(Identity& identity, const std::string& directory);
// Writes bytes to stderr (the original, see keep_original_stderr) and to the log file of
// the calling thread's role, if any; safe in a signal handler.
void write_log(const char* data, std::size_t size);
// Writes bytes to the original stderr only: a progress bar redrawn on a terminal.
void write_terminal(const char* data, std::size_t size);

// "2 s", "0.105 s", "1.5e+03 s": a duration as the lines and failure messages write it.
std::string seconds_text(std::chrono::duration<double> duration);

// Logs the cause and ends the whole job (every rank) with a non-zero status.
[[noreturn]] void fatal(std::string_view cause);

// "std::out_of_range: vector::_M_range_check ..." for the exception being handled.
struct ExceptionDescription {
    std::string type_name;
    std::string message;
};
ExceptionDescription describe_current_exception();

}  // namespace taskfarm::detail
