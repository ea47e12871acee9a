// taskfarm's side of the benchmarks: one workload per run, one JSON line of figures.
//   mpirun -np 4 build-release/bench/taskfarm_bench W1 1000000
// Workloads (docs/performance.md): W1 map+gather, W2 submit loop, W3 round trip,
// W4 efficiency of busy tasks, W5 large argument, W6 memory per pending task, W7 start-up,
// W9 a CPU-bound map of n tasks of 1 ms (the same work whatever the number of workers),
// WI a lazy map (imap) of n tiny tasks: the client's peak memory,
// WG task graphs (Futures as arguments), by kind: `WG chain n`, `WG tree n`, `WG pipeline n`.
// Started plainly it runs in the local farm (TASKFARM_LOCAL_WORKERS workers, 0: inline).
#include <taskfarm/taskfarm.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
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

// WG, task graphs. The same functions are in bench/peers/workloads.py for dask.
long increment(long x) { return x + 1; }
long leaf(long i) { return i; }
long add(long a, long b) { return a + b; }

// The pipeline of examples/05_pipeline.cpp: a block of 1 MiB of doubles is loaded, summarised
// where it is, and the 40-byte summaries are combined pairwise.
constexpr std::uint64_t block_values = 131'072;  // 1 MiB of doubles
constexpr double block_offset = 1.0e6;

struct Summary {
    std::uint64_t count = 0;
    double mean = 0;
    double m2 = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
};

std::vector<double> load_block(std::uint64_t seed, std::uint64_t index) {
    auto stream = taskfarm::random_stream(seed, index);
    std::vector<double> block(block_values);
    for (auto& x : block) x = block_offset + double(stream() >> 11) * 0x1.0p-53;
    return block;
}

Summary summarise(const std::vector<double>& block) {
    Summary s;
    if (block.empty()) return s;
    s.count = block.size();
    double shift = block.front(), deviations = 0;
    for (double x : block) {
        deviations += x - shift;
        s.min = std::min(s.min, x);
        s.max = std::max(s.max, x);
    }
    s.mean = shift + deviations / double(s.count);
    for (double x : block) s.m2 += (x - s.mean) * (x - s.mean);
    return s;
}

Summary combine(const Summary& a, const Summary& b) {
    if (a.count == 0) return b;
    if (b.count == 0) return a;
    Summary s;
    s.count = a.count + b.count;
    double delta = b.mean - a.mean;
    double weight_b = double(b.count) / double(s.count);
    s.mean = a.mean + delta * weight_b;
    s.m2 = a.m2 + b.m2 + delta * delta * double(a.count) * weight_b;
    s.min = std::min(a.min, b.min);
    s.max = std::max(a.max, b.max);
    return s;
}

// The same pipeline, each result tagged with the process that made it, to count the block
// bytes that moved between ranks: a summary made in another process than its block's load
// had the block sent to it (the minimum the graph needs is none: each summary can be made
// where its block is).
struct Loaded {
    int process = 0;
    std::vector<double> block;
    template <class Archive>
    void serialize(Archive& archive) { archive(process, block); }
};

struct Placed {
    Summary summary;
    std::uint64_t moved_bytes = 0;
};

Loaded load_here(std::uint64_t seed, std::uint64_t index) { return {int(::getpid()), load_block(seed, index)}; }

Placed summarise_here(const Loaded& loaded) {
    bool moved = loaded.process != int(::getpid());
    return {summarise(loaded.block), moved ? loaded.block.size() * sizeof(double) : 0};
}

Placed combine_placed(const Placed& a, const Placed& b) {
    return {combine(a.summary, b.summary), a.moved_bytes + b.moved_bytes};
}

// Pairwise, a level at a time, in order; an odd one goes up as it is. Waits for nothing.
template <class T, class Fn>
taskfarm::Future<T> tree_reduce(taskfarm::Client& client, Fn fn, std::vector<taskfarm::Future<T>> level) {
    while (level.size() > 1) {
        std::vector<taskfarm::Future<T>> next;
        next.reserve(level.size() / 2 + 1);
        for (std::size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(client.submit(fn, level[i], level[i + 1]));
        if (level.size() % 2 == 1) next.push_back(level.back());
        level = std::move(next);
    }
    return level.front();
}

long status_kib(const std::string& file, const std::string& field) {
    std::ifstream status(file);
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

// Another rank of this job on this host: a sibling process (same parent, the launcher's daemon)
// whose environment says which rank it is. Calls fn(rank, /proc/<pid>) for each one.
template <class Fn>
void for_each_sibling_rank(Fn fn) {
    std::ifstream self_stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(self_stat)), {});
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string state, parent;
    fields >> state >> parent;
    const std::string key = "OMPI_COMM_WORLD_RANK=";
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
        auto at = env.rfind(key, 0) == 0 ? 0 : env.find(std::string(1, '\0') + key);
        if (at == std::string::npos) continue;
        fn(std::atoi(env.c_str() + at + (at == 0 ? 0 : 1) + key.size()), entry.path());
    }
}

// The scheduler is rank 0 of this job.
long scheduler_resident_kib() {
    long kib = -1;
    for_each_sibling_rank([&](int rank, const std::filesystem::path& proc) {
        if (rank == 0) kib = status_kib((proc / "status").string(), "VmRSS");
    });
    return kib;
}

// The largest peak resident memory of the workers (ranks 2 and up), in MiB; -1 if none is
// found (the local farm: its workers are threads of this process).
double workers_peak_mib() {
    long kib = -1;
    for_each_sibling_rank([&](int rank, const std::filesystem::path& proc) {
        if (rank >= 2) kib = std::max(kib, status_kib((proc / "status").string(), "VmHWM"));
    });
    return kib < 0 ? -1.0 : double(kib) / 1024;
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

// One task graph of the given kind and size, submitted whole, timed until its last result.
int graph(taskfarm::Client& client, const std::string& kind, long n, int workers) {
    auto figures = [&](double took, long tasks) {
        return fmt("\"seconds\": %.6f, \"tasks\": %.0f, \"tasks_per_second\": %.1f", took, double(tasks), tasks / took);
    };
    auto print = [&](const std::string& text) {
        std::printf("{\"tool\": \"taskfarm\", \"workload\": \"WG\", \"kind\": \"%s\", \"n\": %ld, \"workers\": %d, %s}\n",
                    kind.c_str(), n, workers, text.c_str());
        std::fflush(stdout);
    };
    if (n < 1) return 2;
    if (kind == "chain") {
        // x = submit(increment, x), n times: each link waits for the one before.
        auto start = Clock::now();
        auto x = client.submit(increment, 0L);
        for (long i = 1; i < n; ++i) x = client.submit(increment, x);
        long last = x.get();
        double took = seconds_since(start);
        if (last != n) return 1;
        print(figures(took, n) + fmt(", \"us_per_link\": %.2f", took / double(n) * 1e6));
    } else if (kind == "tree") {
        // n leaves from a map, then add(a, b) level by level until one: 2n - 1 tasks.
        auto start = Clock::now();
        auto leaves = client.map(leaf, std::views::iota(0L, n));
        long total = tree_reduce<long>(client, add, std::move(leaves)).get();
        double took = seconds_since(start);
        if (total != n * (n - 1) / 2) return 1;
        print(figures(took, 2 * n - 1));
    } else if (kind == "pipeline") {
        // n blocks of 1 MiB: load -> summarise (its argument the load's Future) -> tree of
        // combine: 3n - 1 tasks. Only the final summary comes back to the client.
        auto start = Clock::now();
        std::vector<taskfarm::Future<Placed>> summaries;
        summaries.reserve(static_cast<std::size_t>(n));
        for (long i = 0; i < n; ++i)
            summaries.push_back(
                client.submit(summarise_here, client.submit(load_here, std::uint64_t{2024}, std::uint64_t(i))));
        Placed total = tree_reduce<Placed>(client, combine_placed, std::move(summaries)).get();
        double took = seconds_since(start);
        const Summary& s = total.summary;
        if (s.count != std::uint64_t(n) * block_values || s.min < block_offset || s.max > block_offset + 1) return 1;
        double bytes = double(n) * block_values * sizeof(double);
        print(figures(took, 3 * n - 1) + fmt(", \"blocks_per_second\": %.1f, \"mb_per_second\": %.1f", n / took,
                                             bytes / took / 1e6) +
              fmt(", \"worker_peak_rss_mib\": %.1f", workers_peak_mib()) +
              fmt(", \"blocks_moved_mb\": %.3f, \"blocks_moved_share\": %.4f", double(total.moved_bytes) / 1e6,
                  double(total.moved_bytes) / bytes));
    } else {
        std::fprintf(stderr, "unknown graph %s (chain, tree, pipeline)\n", kind.c_str());
        return 2;
    }
    return 0;
}

int bench(taskfarm::Client& client, const std::string& workload, long n, const std::string& kind) {
    int workers = std::max(1, client.workers());
    if (workload == "WG") {
        return graph(client, kind, n, workers);
    } else if (workload == "W1") {
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
        std::fprintf(stderr, "unknown workload %s (W1..W7, W9, WI, WG)\n", workload.c_str());
        return 2;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        if (argc < 2) {
            std::fprintf(stderr, "usage: taskfarm_bench W1..W7|W9|WI [n], taskfarm_bench WG chain|tree|pipeline [n]\n");
            return 2;
        }
        std::string workload = argv[1];
        int next = 2;
        std::string kind = workload == "WG" && argc > next ? argv[next++] : "";
        long n = argc > next ? std::atol(argv[next]) : 1000;
        return bench(client, workload, n, kind);
    });
}
