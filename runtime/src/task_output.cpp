#include "task_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <chrono>
#include <thread>
#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace taskfarm::detail {
namespace {

std::recursive_mutex& output_turn() {
    static auto& turn = *new std::recursive_mutex();  // never destroyed: tasks may run on during exit()
    return turn;
}

// Set once a thread that may hold the turn has been given up (task_output_turn_given_up).
std::atomic<bool> turn_given_up{false};

std::string file_of(const std::string& directory, TaskId task, const char* suffix) {
    return directory + "/task-" + std::to_string(task) + suffix;
}

// Closes a task's file and removes it if nothing was written to it.
void close_file(int fd, const std::string& path) {
    struct stat status {};
    bool empty = ::fstat(fd, &status) == 0 && status.st_size == 0;
    ::close(fd);
    if (empty) ::unlink(path.c_str());
}

void remove_if_empty(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode) && status.st_size == 0) ::unlink(path.c_str());
}

}  // namespace

void make_task_output_directory(const std::string& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (!error && ::access(directory.c_str(), W_OK | X_OK) != 0) error.assign(errno, std::generic_category());
    if (error)
        throw std::runtime_error("cannot make the task output directory " + directory + ": " + error.message());
}

void flush_standard_streams() {
    // C++ first: unsynchronised streams buffer on their own, synchronised ones into stdio.
    std::cout.flush();
    std::cerr.flush();
    std::clog.flush();
    std::wcout.flush();
    std::wcerr.flush();
    std::wclog.flush();
    std::fflush(nullptr);
}

void task_output_turn_given_up() { turn_given_up = true; }

TaskOutput::TaskOutput(const std::string& directory, TaskId task) : turn_(output_turn(), std::defer_lock) {
    // Wait for the turn, unless its holder may be a thread given up at its timeout, which
    // never gives it back: then go ahead without it (that task's later output may land in
    // this one's files, docs/faults.md).
    // (A polled try_lock rather than a timed lock, which ThreadSanitizer cannot follow.)
    while (!turn_.try_lock()) {
        if (turn_given_up) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    paths_[0] = file_of(directory, task, ".out");
    paths_[1] = file_of(directory, task, ".err");
    for (int i = 0; i < 2; ++i) {
        files_[i] = ::open(paths_[i].c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (files_[i] >= 0) continue;
        int reason = errno;
        if (i == 1) close_file(files_[0], paths_[0]);
        throw std::runtime_error("cannot write the task's output file " + paths_[i] + ": " + std::strerror(reason));
    }
    // What was written before this task goes where it was meant to go.
    flush_standard_streams();
    for (int i = 0; i < 2; ++i) {
        saved_[i] = ::fcntl(i + 1, F_DUPFD_CLOEXEC, 3);
        if (saved_[i] >= 0 || errno == EBADF) continue;  // EBADF: the process had it closed
        int reason = errno;  // out of descriptors, say: leave 1 and 2 as they are
        if (i == 1) ::close(saved_[0]);
        for (int j = 0; j < 2; ++j) close_file(files_[j], paths_[j]);
        throw std::runtime_error(std::string("cannot send the task's output to its files: ") + std::strerror(reason));
    }
    for (int i = 0; i < 2; ++i) ::dup2(files_[i], i + 1);  // not close-on-exec: the task's child processes write there too
}

TaskOutput::~TaskOutput() {
    flush_standard_streams();
    for (int i = 0; i < 2; ++i) {
        if (saved_[i] >= 0) {
            ::dup2(saved_[i], i + 1);
            ::close(saved_[i]);
        } else {
            ::close(i + 1);
        }
        close_file(files_[i], paths_[i]);
    }
}

void remove_empty_task_output(const std::string& directory, const TaskSpec& spec) {
    auto remove_task = [&](TaskId task) {
        remove_if_empty(file_of(directory, task, ".out"));
        remove_if_empty(file_of(directory, task, ".err"));
    };
    if (spec.elements == 0) return remove_task(spec.task);
    for (std::uint32_t index = 0; index < spec.elements; ++index) remove_task(spec.task + 1 + index);
}

}  // namespace taskfarm::detail
