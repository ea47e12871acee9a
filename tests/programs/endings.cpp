// Ways a job used to hang or lose things (issue 11), one mode each. Each prints what it saw;
// its CTest entry checks the exit status, the output and that the job ended in time.
#include <taskfarm/taskfarm.hpp>

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

template <class F>
void expect(bool ok, F&& describe) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", describe().c_str());
        std::exit(90);
    }
}

int rank_of_this_process() {
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    return rank ? std::atoi(rank) : 0;
}

// The argc/argv a nested initialize sees: the program's own.
int saved_argc = 0;
char** saved_argv = nullptr;

int initialize_in_task(int x) {
    auto client = taskfarm::initialize(saved_argc, saved_argv);
    return x;
}
int barrier_in_task(int x) {
    MPI_Barrier(MPI_COMM_WORLD);
    return x;
}
int finalize_in_task(int x) {
    MPI_Finalize();
    return x;
}
// On worker rank 2, stops its whole process, as a hung node or a SIGSTOP would (and again,
// should anything continue it).
int freeze_on_rank_2(int x) {
    while (rank_of_this_process() == 2) ::kill(::getpid(), SIGSTOP);
    return x * 10;
}
std::vector<char> big_result(int size) { return std::vector<char>(std::size_t(size), 'r'); }

// A task that fails with a TaskError of this type, whose message says `words`.
template <class Fn>
void expect_task_error(taskfarm::Client& client, Fn fn, const std::string& type, const std::string& words) {
    try {
        client.submit(fn, 1).get();
        expect(false, [&] { return "a task expected to fail with " + type + " succeeded"; });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == type && std::string(e.what()).find(words) != std::string::npos,
               [&] { return "the task failed otherwise: " + std::string(e.what()); });
        std::printf("task failed as it should: %s\n", e.what());
    }
}

int frozen_worker(taskfarm::Client& client) {
    auto start = std::chrono::steady_clock::now();
    // The first task goes to rank 2, which freezes; the others, with a run to spare, end up on rank 3.
    auto lost = client.submit(freeze_on_rank_2, 1);
    std::this_thread::sleep_for(200ms);
    std::vector<taskfarm::Future<int>> rerun;
    for (int i = 2; i <= 5; ++i) rerun.push_back(client.submit(freeze_on_rank_2, i, taskfarm::TaskOptions{.retries = 1}));
    try {
        lost.get();
        expect(false, [] { return std::string("the task on the frozen worker succeeded"); });
    } catch (const taskfarm::TaskError& e) {
        expect(e.type_name() == "taskfarm::WorkerLost" && e.rank() == 2,
               [&] { return "the task on the frozen worker failed otherwise: " + std::string(e.what()); });
        std::printf("lost with its worker: %s\n", e.what());
    }
    auto results = client.gather(rerun);
    expect(results == std::vector<int>{20, 30, 40, 50}, [] { return std::string("the rerun tasks gave wrong results"); });
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("reruns done elsewhere after %.1f s\n", took);
    return 0;
}

// Results over the inline limit stay on their workers until fetched: after shutdown they
// must still be there for a Future that is kept.
int held_after_shutdown(int& argc, char**& argv) {
    std::vector<taskfarm::Future<std::vector<char>>> kept;
    {
        auto client = taskfarm::initialize(argc, argv);
        for (int i = 0; i < 4; ++i) kept.push_back(client.submit(big_result, 300 * 1024 + i));
        for (auto& future : kept) future.wait();
        expect(kept[3].ready(), [] { return std::string("a waited-for future is not ready"); });
    }  // the farm shuts down here
    for (int i = 0; i < 4; ++i) {
        auto value = kept[std::size_t(i)].get();
        expect(value.size() == std::size_t(300 * 1024 + i), [] { return std::string("a kept result has the wrong size"); });
    }
    std::printf("kept results read after shutdown\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    saved_argc = argc;
    saved_argv = argv;
    if (mode == "held-after-shutdown") return held_after_shutdown(argc, argv);
    if (mode == "run-twice") {
        int first = taskfarm::run(argc, argv, [](taskfarm::Client& client) { return client.submit([] { return 0; }).get(); });
        std::printf("first run ended with %d\n", first);
        return taskfarm::run(argc, argv, [](taskfarm::Client&) { return 0; });
    }
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        if (mode == "initialize-twice") {
            auto second = taskfarm::initialize(argc, argv);  // a library that starts "its own" farm
            return 0;
        }
        if (mode == "initialize-in-task") {
            expect_task_error(client, initialize_in_task, "taskfarm::UsageError", "inside a task");
            expect(client.submit([](int x) { return x + 1; }, 1).get() == 2, [] { return std::string("the farm died"); });
            return 0;
        }
        if (mode == "mpi-in-task") {
            expect_task_error(client, barrier_in_task, "taskfarm::UsageError", "MPI_Barrier was called inside task");
            expect_task_error(client, finalize_in_task, "taskfarm::UsageError", "MPI_Finalize was called inside task");
            expect(client.submit([](int x) { return x + 1; }, 1).get() == 2, [] { return std::string("the farm died"); });
            std::printf("MPI inside tasks refused\n");
            return 0;
        }
        if (mode == "frozen-worker") return frozen_worker(client);
        if (mode == "frozen-at-the-end") {  // rank 2 freezes just as the client is done
            auto frozen = client.submit(freeze_on_rank_2, 1);
            std::this_thread::sleep_for(300ms);
            std::printf("client done\n");
            std::fflush(stdout);
            return 0;
        }
        std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
        return 99;
    });
}
