// The termination matrix and the fault options, one mode per case (docs/faults.md).
// Each mode prints what it saw; the CTest entry checks the exit status, the output and
// that the job ended in time.
#include <taskfarm/taskfarm.hpp>

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

// With FAULTS_SIGNAL_IN_MPI_INIT=USR1, every rank gets SIGUSR1 inside MPI_Init_thread, as a
// Slurm time-limit warning may reach a job that is still starting (this program's definition
// stands in for OpenMPI's, which it then calls through the profiling interface).
extern "C" int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
    if (const char* signal = std::getenv("FAULTS_SIGNAL_IN_MPI_INIT"); signal && std::string(signal) == "USR1")
        std::raise(SIGUSR1);
    return PMPI_Init_thread(argc, argv, required, provided);
}

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int rank_of_this_process() {
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    return rank ? std::atoi(rank) : 0;
}

int segfault(int x) {
    std::raise(SIGSEGV);
    return x;
}
int call_abort(int x) {
    std::abort();
    return x;
}
int nap(double seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return 1;
}
// Crashes on rank 2 only: with a retry, it must end up on another worker.
int crash_on_rank_2(int x) {
    if (rank_of_this_process() == 2) std::raise(SIGSEGV);
    return x * 10;
}
// Fails the first time it runs for this marker file, then succeeds.
int fail_once(std::string marker) {
    if (!std::filesystem::exists(marker)) {
        std::ofstream(marker).put('1');
        throw std::runtime_error("first attempt fails");
    }
    return 42;
}
int always_fail(int) { throw std::invalid_argument("never works"); }
// Every other call on a worker's thread fails: with one retry, every element succeeds (a
// chunk retries its element at once, on the same thread).
int fails_every_other_call(int x) {
    thread_local int calls = 0;
    if (calls++ % 2 == 0) throw std::runtime_error("odd call");
    return x;
}

template <class F>
void expect(bool ok, F&& describe) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", describe().c_str());
        std::exit(90);
    }
}

std::string marker_path(const char* name) {
    return (std::filesystem::temp_directory_path() / ("taskfarm_faults_" + std::to_string(getpid()) + "_" + name)).string();
}

int retries(taskfarm::Client& client) {
    auto marker = marker_path("fail_once");
    int value = client.submit(fail_once, marker, taskfarm::TaskOptions{.retries = 1}).get();
    std::filesystem::remove(marker);
    expect(value == 42, [] { return std::string("a retried task did not succeed"); });

    try {
        client.submit(taskfarm::TaskOptions{.retries = 2}, always_fail, 1).get();
        expect(false, [] { return std::string("a failing task did not fail"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.attempts() == 3, [&] { return "attempts " + std::to_string(e.attempts()) + ", not 3"; });
        expect(std::string(e.what()).find("after 3 attempts") != std::string::npos, [&] { return std::string(e.what()); });
        std::printf("failed as expected: %s\n", e.what());
    }

    // Elements of a chunked map retry inside their chunk.
    std::vector<int> inputs(20000, 1);
    auto ok = client.gather(client.map(fails_every_other_call, inputs, taskfarm::TaskOptions{.retries = 1}));
    expect(ok.size() == inputs.size(), [] { return std::string("a chunked map with retries lost elements"); });
    auto some = client.gather(client.map(fails_every_other_call, inputs), taskfarm::OnError::skip);
    expect(some.size() < inputs.size(), [] { return std::string("without retries every element succeeded"); });
    std::printf("retries work\n");
    return 0;
}

int isolated(taskfarm::Client& client) {
    try {
        client.submit(segfault, 1).get();
        expect(false, [] { return std::string("a crashing task did not fail"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == "signal SIGSEGV", [&] { return "type " + e.type_name(); });
        std::printf("crash seen: %s\n", e.what());
    }
    try {
        client.submit(call_abort, 1).get();
        expect(false, [] { return std::string("an aborting task did not fail"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == "signal SIGABRT", [&] { return "type " + e.type_name(); });
    }
    expect(client.submit([](int x) { return x + 1; }, 1).get() == 2, [] { return std::string("the farm died"); });

    // A crash on rank 2 is retried elsewhere: every task succeeds.
    std::vector<taskfarm::Future<int>> futures;
    for (int i = 0; i < 8; ++i) futures.push_back(client.submit(crash_on_rank_2, i, taskfarm::TaskOptions{.retries = 1}));
    auto results = client.gather(futures);
    expect(results[7] == 70, [] { return std::string("wrong result after retries"); });

    auto start = Clock::now();
    try {
        client.submit(nap, 30.0, taskfarm::TaskOptions{.timeout = 500ms}).get();
        expect(false, [] { return std::string("a task over its timeout did not fail"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == "taskfarm::Timeout", [&] { return "type " + e.type_name(); });
        std::printf("stopped: %s\n", e.what());
    }
    double waited = std::chrono::duration<double>(Clock::now() - start).count();
    expect(waited < 5, [&] { return "the timeout took " + std::to_string(waited) + " s"; });
    std::printf("isolation works\n");
    return 0;
}

int timeout_not_isolated(taskfarm::Client& client) {
    try {
        client.submit(nap, 0.3, taskfarm::TaskOptions{.timeout = 100ms}).get();
        expect(false, [] { return std::string("a task over its timeout did not fail"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == "taskfarm::Timeout", [&] { return "type " + e.type_name(); });
        std::printf("timed out at its limit: %s\n", e.what());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    taskfarm::Options options;
    options.isolate = mode == "isolated";
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        if (mode == "retries") return retries(client);
        if (mode == "isolated") return isolated(client);
        if (mode == "timeout") return timeout_not_isolated(client);
        auto running = client.submit(nap, 30.0);  // keeps a worker busy while the job ends
        std::this_thread::sleep_for(200ms);
        if (mode == "wait") {  // for a signal from outside
            std::printf("farm running\n");
            std::fflush(stdout);
            std::this_thread::sleep_for(60s);
        }
        if (mode == "task-crashes") client.submit(segfault, 1).get();
        if (mode == "task-aborts") client.submit(call_abort, 1).get();
        if (mode == "task-exits") client.submit([](int status) { std::exit(status); return 0; }, 7).get();
        if (mode == "client-exits") std::exit(3);
        if (mode == "client-aborts") std::abort();
        if (mode == "sigterm-twice") {
            std::raise(SIGTERM);
            std::raise(SIGTERM);
            std::this_thread::sleep_for(60s);
        }
        if (mode == "sigusr1-worker") {
            // What Slurm's --signal=USR1@N sends to every rank; here only a worker gets it.
            client.submit([](int) { return ::kill(getpid(), SIGUSR1); }, 0).get();
            std::this_thread::sleep_for(60s);
        }
        std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
        return 99;
    }, options);
}
