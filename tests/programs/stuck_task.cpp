// Tasks that never return, without isolation (docs/faults.md "Timeouts"): at its timeout
// such a task fails with taskfarm::Timeout, its thread is given up and another takes its
// place, and the job still ends at once when the client is done. Each mode prints what it
// saw; the CTest entry checks the exit status, the output and that the job ended in time.
//   spin   a task that spins and one that sleeps for ever, each with a 1 s timeout; then
//          more tasks on the same worker(s), which must still run
//   retry  a task that spins on its first attempt only, with one retry: it succeeds; one
//          that always spins, with one retry: it fails after 2 attempts
//   threads  threads_per_worker=4000, far beyond what the workers' address space (limited
//          here) allows: the job ends with status 4 and a line naming the setting
#include <taskfarm/taskfarm.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int spin_forever(int) {
    volatile unsigned long turns = 0;
    for (;;) turns = turns + 1;
}
int sleep_forever(int) {
    for (;;) std::this_thread::sleep_for(100ms);
}
// Spins the first time it runs for this marker file (on any worker), then returns 42.
int spin_once(std::string marker) {
    if (!std::filesystem::exists(marker)) {
        std::ofstream(marker).put('1');
        spin_forever(0);
    }
    return 42;
}
int twice(int x) { return 2 * x; }

template <class F>
void expect(bool ok, F&& describe) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", describe().c_str());
        std::exit(90);
    }
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The task must fail with taskfarm::Timeout, after `attempts` runs, within a few seconds.
template <class Fn, class Arg>
void expect_timeout(taskfarm::Client& client, const char* what, Fn fn, Arg arg, int retries, int attempts) {
    auto start = Clock::now();
    try {
        client.submit(fn, arg, taskfarm::TaskOptions{.retries = retries, .timeout = 1s}).get();
        expect(false, [&] { return std::string(what) + ": a task over its timeout did not fail"; });
    } catch (const taskfarm::TaskError& e) {
        double waited = seconds_since(start);
        expect(e.type_name() == "taskfarm::Timeout", [&] { return std::string(what) + ": type " + e.type_name(); });
        expect(e.attempts() == attempts,
               [&] { return std::string(what) + ": attempts " + std::to_string(e.attempts()) + ", not " + std::to_string(attempts); });
        expect(waited < 1.0 * attempts + 3, [&] { return std::string(what) + ": the timeout took " + std::to_string(waited) + " s"; });
        std::printf("%s: %s (after %.2f s)\n", what, e.what(), waited);
        std::fflush(stdout);
    }
}

// Tasks still run on every worker: with one worker (np 3) the given-up threads' places were taken.
void expect_farm_works(taskfarm::Client& client) {
    std::vector<int> inputs(100);
    for (int i = 0; i < 100; ++i) inputs[static_cast<std::size_t>(i)] = i;
    auto results = client.gather(client.map(twice, inputs));
    expect(results.size() == 100 && results[99] == 198, [] { return std::string("tasks after a stuck one did not run"); });
    std::printf("later tasks ran: %zu\n", results.size());
}

int spin(taskfarm::Client& client) {
    expect_timeout(client, "spinning task", spin_forever, 0, 0, 1);
    expect_timeout(client, "sleeping task", sleep_forever, 0, 0, 1);
    expect_farm_works(client);
    std::printf("stuck_task spin ok\n");
    return 0;
}

int retry(taskfarm::Client& client) {
    auto marker = (std::filesystem::temp_directory_path() / ("taskfarm_stuck_task_" + std::to_string(getpid()))).string();
    std::filesystem::remove(marker);
    auto start = Clock::now();
    int value = client.submit(spin_once, marker, taskfarm::TaskOptions{.retries = 1, .timeout = 1s}).get();
    double waited = seconds_since(start);
    std::filesystem::remove(marker);
    expect(value == 42, [&] { return "a retried task returned " + std::to_string(value); });
    expect(waited < 4, [&] { return "the retried task took " + std::to_string(waited) + " s"; });
    std::printf("retried after its timeout: %d (after %.2f s)\n", value, waited);
    expect_timeout(client, "spinning task with a retry", spin_forever, 0, 1, 2);
    expect_farm_works(client);
    std::printf("stuck_task retry ok\n");
    return 0;
}

// On the workers only: an address space of what the process has now plus 1 GiB, enough for
// MPI to start but not for threads_per_worker thread stacks of 8 MiB each.
void limit_worker_address_space() {
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (!rank || std::atoi(rank) < 2) return;
    long pages = 0;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
        std::fclose(statm);
    }
    rlim_t limit = rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE)) + (rlim_t(1) << 30);
    rlimit stack{8 << 20, 8 << 20};
    setrlimit(RLIMIT_STACK, &stack);  // glibc sizes thread stacks from it
    rlimit address_space{limit, limit};
    setrlimit(RLIMIT_AS, &address_space);
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    taskfarm::Options options;
    if (mode == "threads") {
        limit_worker_address_space();
        options.threads_per_worker = 4000;  // under the configuration's cap (4096)
    }
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        if (mode == "spin") return spin(client);
        if (mode == "retry") return retry(client);
        if (mode == "threads") {  // the workers end the job before this returns
            std::this_thread::sleep_for(15s);
            std::printf("FAILED: the workers started 4000 threads each\n");
            return 0;
        }
        std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
        return 99;
    }, options);
}
