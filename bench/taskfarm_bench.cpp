// taskfarm's side of the benchmarks: one workload per run, one JSON line of figures.
//   mpirun -np 4 build-release/bench/taskfarm_bench W1 1000000
// Workloads (docs/performance.md): W1 map+gather, W2 submit loop, W3 round trip,
// W4 efficiency of busy tasks, W5 large argument, W6 memory per pending task, W7 start-up,
// W9 a CPU-bound map of n tasks of 1 ms (the same work whatever the number of workers),
// WI a lazy map (imap) of n tiny tasks: the client's peak memory.
// Started plainly it runs in the local farm (TASKFARM_LOCAL_WORKERS workers, 0: inline).
#include <taskfarm/taskfarm.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ranges>
#include <sstream>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

long square(long i) { return i * i; }
long identity_seed(long i) { return i; }

// Busy-spins for the given number of microseconds (a task that computes, not one that sleeps).
long spin(long microseconds) {
    auto until = Clock::now() + std::chrono::microseconds(microseconds);
    long turns = 0;
    while (Clock::now() < until) ++turns;
    return turns;
}

std::vector<double> echo(std::vector<double> values) { return values; }

// Holds its worker until the file exists (every rank of a benchmark runs on this host).
long hold_until(std::string gate) {
    while (!std::filesystem::exists(gate)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return 1;
}

long status_kib(const std::string& file, const std::string& field) {
    std::ifstream status(file);
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

// The scheduler is rank 0 of this job: a sibling process whose environment says so.
long scheduler_resident_kib() {
    std::ifstream self_stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(self_stat)), {});
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string state, parent;
    fields >> state >> parent;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string t((std::istreambuf_iterator<char>(stat)), {});
        auto close = t.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream f(t.substr(close + 2));
        std::string s, p;
        f >> s >> p;
        if (p != parent) continue;
        std::ifstream environ(entry.path() / "environ");
        std::string env((std::istreambuf_iterator<char>(environ)), {});
        if (env.find(std::string("OMPI_COMM_WORLD_RANK=0") + '\0') != std::string::npos)
            return status_kib((entry.path() / "status").string(), "VmRSS");
    }
    return -1;
}

void report(const char* workload, long n, int workers, const std::string& figures) {
    std::printf("{\"tool\": \"taskfarm\", \"workload\": \"%s\", \"n\": %ld, \"workers\": %d, %s}\n", workload, n,
                workers, figures.c_str());
    std::fflush(stdout);
}

std::string fmt(const char* format, double a, double b = 0, double c = 0) {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer, format, a, b, c);
    return buffer;
}

int bench(taskfarm::Client& client, const std::string& workload, long n) {
    int workers = std::max(1, client.workers());
    if (workload == "W1") {
        auto start = Clock::now();
        auto results = client.gather(client.map(square, std::views::iota(0L, n)));
        double took = seconds_since(start);
        if (results.back() != (n - 1) * (n - 1)) return 1;
        report("W1", n, workers, fmt("\"seconds\": %.6f, \"tasks_per_second\": %.1f", took, n / took));
    } else if (workload == "W2") {
        auto start = Clock::now();
        std::vector<taskfarm::Future<long>> futures;
        futures.reserve(static_cast<std::size_t>(n));
        for (long i = 0; i < n; ++i) futures.push_back(client.submit(identity_seed, i));
        double submit_seconds = seconds_since(start);
        auto results = client.gather(futures);
        double took = seconds_since(start);
        if (results.back() != n - 1) return 1;
        report("W2", n, workers,
               fmt("\"seconds\": %.6f, \"submit_seconds\": %.6f, \"tasks_per_second\": %.1f", took, submit_seconds, n / took));
    } else if (workload == "W3") {
        std::vector<double> micros;
        for (long i = 0; i < n + 100; ++i) {
            auto start = Clock::now();
            if (client.submit(square, i).get() != i * i) return 1;
            if (i >= 100) micros.push_back(seconds_since(start) * 1e6);
        }
        std::sort(micros.begin(), micros.end());
        report("W3", n, workers,
               fmt("\"median_us\": %.2f, \"p10_us\": %.2f, \"p90_us\": %.2f", micros[micros.size() / 2],
                   micros[micros.size() / 10], micros[micros.size() * 9 / 10]));
    } else if (workload == "W4") {
        // n is the task duration in µs; enough tasks for about 2 s of work per worker.
        long tasks = std::max(20L, 2'000'000L * workers / n);
        auto start = Clock::now();
        client.gather(client.map(spin, std::vector<long>(static_cast<std::size_t>(tasks), n)));
        double took = seconds_since(start);
        double efficiency = double(tasks) * double(n) * 1e-6 / (workers * took);
        report("W4", n, workers, fmt("\"tasks\": %.0f, \"seconds\": %.6f, \"efficiency\": %.4f", double(tasks), took, efficiency));
    } else if (workload == "W5") {
        // n is the argument's size in MiB; it goes to a worker and comes back.
        std::vector<double> payload(static_cast<std::size_t>(n) * (1 << 20) / sizeof(double), 1.5);
        client.submit(echo, std::vector<double>(16, 0.0)).get();  // warm-up
        auto start = Clock::now();
        auto back = client.submit(echo, payload).get();
        double took = seconds_since(start);
        if (back.size() != payload.size() || back.back() != 1.5) return 1;
        double bytes = 2.0 * double(payload.size() * sizeof(double));
        report("W5", n, workers, fmt("\"seconds\": %.6f, \"gb_per_second\": %.3f", took, bytes / took / 1e9));
    } else if (workload == "W6") {
        // n tasks in flight: the first ones hold every worker until the gate opens, so the
        // rest stay queued while the client's and the scheduler's memory is measured.
        std::string gate = "/tmp/taskfarm_bench_gate." + std::to_string(getpid());
        std::filesystem::remove(gate);
        long client_before = status_kib("/proc/self/status", "VmRSS");
        long scheduler_before = scheduler_resident_kib();
        auto start = Clock::now();
        std::vector<taskfarm::Future<long>> futures;
        futures.reserve(static_cast<std::size_t>(n));
        for (long i = 0; i < n; ++i) futures.push_back(i < 64L * workers ? client.submit(hold_until, gate) : client.submit(square, i));
        double submit_seconds = seconds_since(start);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the scheduler take them all in
        long client_after = status_kib("/proc/self/status", "VmRSS");
        long scheduler_after = scheduler_resident_kib();
        std::ofstream(gate).put('1');
        auto results = client.gather(futures);
        std::filesystem::remove(gate);
        double total_seconds = seconds_since(start);
        if (static_cast<long>(results.size()) != n) return 1;
        report("W6", n, workers,
               fmt("\"client_bytes_per_task\": %.1f, \"scheduler_bytes_per_task\": %.1f, \"submit_seconds\": %.3f",
                   (client_after - client_before) * 1024.0 / double(n), (scheduler_after - scheduler_before) * 1024.0 / double(n),
                   submit_seconds) +
                   fmt(", \"seconds\": %.3f", total_seconds));
    } else if (workload == "W9") {
        auto start = Clock::now();
        client.gather(client.map(spin, std::vector<long>(static_cast<std::size_t>(n), 1000L)));
        double took = seconds_since(start);
        report("W9", n, client.workers(), fmt("\"seconds\": %.6f, \"tasks_per_second\": %.1f", took, double(n) / took));
    } else if (workload == "WI") {
        // A lazy map of n tiny tasks over std::views::iota, read as it goes: the client's peak
        // resident memory must not grow with n.
        auto start = Clock::now();
        long count = 0;
        for (long result : client.imap(square, std::views::iota(0L, n)))
            if (result == count * count) ++count;
        double took = seconds_since(start);
        if (count != n) return 1;
        double peak_mib = double(status_kib("/proc/self/status", "VmHWM")) / 1024;
        report("WI", n, workers,
               fmt("\"seconds\": %.6f, \"tasks_per_second\": %.1f, \"client_peak_rss_mib\": %.1f", took, n / took,
                   peak_mib));
    } else if (workload == "W7") {
        if (client.submit(square, 3).get() != 9) return 1;
        report("W7", 1, workers, "\"first_result\": true");
    } else {
        std::fprintf(stderr, "unknown workload %s (W1..W7, W9, WI)\n", workload.c_str());
        return 2;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        if (argc < 2) {
            std::fprintf(stderr, "usage: taskfarm_bench W1..W7|W9|WI [n]\n");
            return 2;
        }
        long n = argc > 2 ? std::atol(argv[2]) : 1000;
        return bench(client, argv[1], n);
    });
}
