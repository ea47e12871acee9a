#include "log.hpp"

#include "transport.hpp"

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

int identity_rank = -1;
Role identity_role = Role::unknown;
char prefix[320] = "taskfarm: ";
int log_file = -1;
int log_stderr = STDERR_FILENO;

std::string demangle(const char* name) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    return status == 0 && readable ? readable.get() : name;
}

}  // namespace

void set_identity(int rank, Role role) {
    identity_rank = rank;
    identity_role = role;
    std::string text = "taskfarm[rank " + std::to_string(rank) + " " + std::string(role_name(role)) + "@" + host_name() + "]: ";
    text.resize(std::min(text.size(), sizeof prefix - 1));
    std::memcpy(prefix, text.c_str(), text.size() + 1);
}

const char* log_prefix() { return prefix; }

int own_rank() { return identity_rank; }

std::string_view role_name(Role role) {
    switch (role) {
    case Role::scheduler: return "scheduler";
    case Role::client: return "client";
    case Role::worker: return "worker";
    case Role::inline_client: return "inline client";
    case Role::unknown: break;
    }
    return "starting";
}

const std::string& host_name() {
    static const std::string name = [] {
        char buffer[256] = {};
        gethostname(buffer, sizeof buffer - 1);
        return std::string(buffer);
    }();
    return name;
}

void keep_original_stderr() {
    if (log_stderr != STDERR_FILENO) return;
    int copy = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (copy >= 0) log_stderr = copy;  // else stderr is closed, and stays the place to try
}

void log_to_directory(const std::string& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    auto path = directory + "/rank-" + std::to_string(identity_rank) + ".log";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write the log file " + path + ": " + std::strerror(errno));
    log_file = fd;
}

void write_log(const char* data, std::size_t size) {
    auto unused = ::write(log_stderr, data, size);
    if (log_file >= 0) unused = ::write(log_file, data, size);
    (void)unused;
}

void write_terminal(const char* data, std::size_t size) {
    auto unused = ::write(log_stderr, data, size);
    (void)unused;
}

void log_line(std::string_view text) {
    std::string line = prefix;
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
    if (auto* type = abi::__cxa_current_exception_type()) description.type_name = demangle(type->name());
    try {
        throw;
    } catch (const std::exception& e) {
        description.message = e.what();
    } catch (...) {
    }
    return description;
}

}  // namespace taskfarm::detail
