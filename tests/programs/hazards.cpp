// Things a task may do that must not hang the job or leave processes behind (issue 11,
// docs/faults.md). One mode per case; each prints a line when it works and a "FAILED:" line
// (status 90) when it does not.
//   fork-exit      a task forks helpers that call exit(0) and exit(3), and waits for them
//   fork-sigterm   a task forks a helper and stops it with SIGTERM
//   isolated-timeout-group
//                  an isolated task that runs system("sleep 300.<tag>") is killed at its
//                  1 s timeout, and its sleep with it
//   timeouts, isolated-timeouts
//                  a TaskOptions::timeout of 1e-12 s is a UsageError; inf, 1e10 s, 1e300 s: none
//   isolated-left-running <tag>, isolated-job-aborts <tag>
//                  such a task runs when the client returns, or aborts: orphans_test.sh
//                  checks that the job ends at once and that no sleep 300.<tag> outlives it
#include <taskfarm/taskfarm.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <class F>
void expect(bool ok, F&& describe) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", describe().c_str());
        std::exit(90);
    }
}

// Waits up to 10 s for a child; a child still there is killed and reported.
int wait_for(pid_t child, const char* what) {
    auto deadline = Clock::now() + 10s;
    int status = 0;
    for (;;) {
        pid_t got = ::waitpid(child, &status, WNOHANG);
        if (got == child) return status;
        if (got < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        if (Clock::now() > deadline) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            throw std::runtime_error(std::string(what) + " was still there after 10 s");
        }
        std::this_thread::sleep_for(10ms);
    }
}

// A helper process that calls exit(), as a library might (no exec): it must end cleanly,
// without taking the task or the job with it.
int fork_exiting_helpers(int) {
    for (int wanted : {0, 3}) {
        std::fflush(nullptr);
        pid_t child = ::fork();
        if (child < 0) throw std::runtime_error("fork failed");
        if (child == 0) std::exit(wanted);
        int status = wait_for(child, "a helper that called exit()");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != wanted)
            throw std::runtime_error("a helper that called exit(" + std::to_string(wanted) +
                                     ") ended with wait status " + std::to_string(status));
    }
    return 2;
}

// A helper stopped with SIGTERM, as a task stops its own helpers: it must die of it.
int fork_and_terminate_helper(int) {
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw std::runtime_error("fork failed");
    if (child == 0) {
        for (int i = 0; i < 300; ++i) ::sleep(1);
        _exit(0);
    }
    std::this_thread::sleep_for(100ms);
    ::kill(child, SIGTERM);
    int status = wait_for(child, "a helper sent SIGTERM");
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
        throw std::runtime_error("a helper sent SIGTERM ended with wait status " + std::to_string(status));
    return 1;
}

int run_sleep(std::string tag) { return std::system(("sleep 300." + tag).c_str()); }

// The processes whose command line contains text (a null-separated argv, read whole).
std::vector<int> processes_with(const std::string& text) {
    std::vector<int> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream file(entry.path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        if (cmdline.find(text) != std::string::npos) found.push_back(std::stoi(name));
    }
    return found;
}

int isolated_timeout_group(taskfarm::Client& client) {
    // Unique to this run, so that only this run's sleep can match.
    auto tag = std::to_string(getpid()) + std::to_string(Clock::now().time_since_epoch().count() % 1000000);
    try {
        client.submit(run_sleep, tag, taskfarm::TaskOptions{.timeout = 1s}).get();
        expect(false, [] { return std::string("a task over its timeout did not fail"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == "taskfarm::Timeout", [&] { return "type " + e.type_name() + ": " + e.what(); });
        std::printf("stopped: %s\n", e.what());
    }
    // The group was killed before the error was sent; give the dead a moment to be reaped.
    auto deadline = Clock::now() + 3s;
    auto left = processes_with("300." + tag);
    while (!left.empty() && Clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        left = processes_with("300." + tag);
    }
    if (!left.empty()) {
        for (int pid : left) ::kill(pid, SIGKILL);  // ours: clean up before failing
        expect(false, [&] {
            return std::to_string(left.size()) + " process(es) of the killed task still ran (sleep 300." + tag +
                   "), first pid " + std::to_string(left.front());
        });
    }
    std::printf("no process of the killed task is left\n");
    return 0;
}

// Timeouts at submit: one under a nanosecond is refused (it would mean none), inf and one of
// centuries mean none (an isolated task must not be stopped at once by an overflow).
int timeouts(taskfarm::Client& client) {
    try {
        (void)client.submit([](int x) { return x; }, 1, taskfarm::TaskOptions{.timeout = std::chrono::duration<double>(1e-12)});
        expect(false, [] { return std::string("a timeout of 1e-12 s was accepted"); });
    } catch (const taskfarm::UsageError& e) {
        std::printf("refused: %s\n", e.what());
    }
    for (double seconds : {std::numeric_limits<double>::infinity(), 1e10, 1e300}) {
        int got = client.submit([](int x) { return x + 1; }, 1, taskfarm::TaskOptions{.timeout = std::chrono::duration<double>(seconds)}).get();
        expect(got == 2, [] { return std::string("wrong result"); });
    }
    std::printf("inf and centuries mean no timeout\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    taskfarm::Options options;
    options.isolate = mode.rfind("isolated", 0) == 0;
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        try {
            if (mode == "fork-exit") {
                client.submit(fork_exiting_helpers, 0).get();
                std::printf("forked helpers left by exit(0) and exit(3), cleanly\n");
                return 0;
            }
            if (mode == "fork-sigterm") {
                client.submit(fork_and_terminate_helper, 0).get();
                std::printf("a helper sent SIGTERM died of it\n");
                return 0;
            }
        } catch (const taskfarm::TaskError& e) {
            expect(false, [&] { return std::string(e.what()); });
        }
        if (mode == "isolated-timeout-group") return isolated_timeout_group(client);
        if (mode == "timeouts" || mode == "isolated-timeouts") return timeouts(client);
        if ((mode == "isolated-left-running" || mode == "isolated-job-aborts") && argc > 2) {
            auto running = client.submit(run_sleep, std::string(argv[2]));
            std::this_thread::sleep_for(1s);
            if (mode == "isolated-job-aborts") std::abort();
            return 0;  // the task is left running: its worker leaves anyway
        }
        std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
        return 99;
    }, options);
}
