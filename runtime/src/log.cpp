#include "log.hpp"

#include "ending.hpp"

#include <taskfarm/error.hpp>

#include <cxxabi.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <memory>
#include <typeinfo>

namespace taskfarm::detail {
namespace {

int log_stderr = STDERR_FILENO;

}  // namespace

const char* log_prefix() { return current_identity().prefix; }

int own_rank() { return current_identity().rank; }

const std::string& host_name() { return current_identity().host.empty() ? machine_name() : current_identity().host; }

void keep_original_stderr() {
    if (log_stderr != STDERR_FILENO) return;
    int copy = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (copy >= 0) log_stderr = copy;  // else stderr is closed, and stays the place to try
}

void log_to_directory(Identity& identity, const std::string& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    auto path = directory + "/rank-" + std::to_string(identity.rank) + ".log";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write the log file " + path + ": " + std::strerror(errno));
    identity.log_file = fd;
}

void write_log(const char* data, std::size_t size) {
    auto unused = ::write(log_stderr, data, size);
    if (int log_file = current_identity().log_file; log_file >= 0) unused = ::write(log_file, data, size);
    (void)unused;
}

void write_terminal(const char* data, std::size_t size) {
    auto unused = ::write(log_stderr, data, size);
    (void)unused;
}

void log_line(std::string_view text) {
    std::string line = log_prefix();
    line.append(text);
    line.push_back('\n');
    write_log(line.data(), line.size());
}

std::string seconds_text(std::chrono::duration<double> duration) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g s", duration.count());
    return text;
}

void fatal(std::string_view cause) {
    log_line(cause);
    abort_job(1);
}

ExceptionDescription describe_current_exception() {
    ExceptionDescription description{"unknown exception", "(not derived from std::exception)"};
    if (auto* type = abi::__cxa_current_exception_type()) description.type_name = readable_type_name(*type);
    try {
        throw;
    } catch (const std::exception& e) {
        description.message = e.what();
    } catch (...) {
    }
    return description;
}

}  // namespace taskfarm::detail
