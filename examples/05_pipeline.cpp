// A task graph as dask users build one from futures: load blocks of data, process each block
// where it was loaded, and combine the per-block summaries pairwise in a tree.
//   mpirun -np 4 build/examples/05_pipeline [--blocks 13] [--block-values 131072] [--seed 2024] [--check]
//
// The same pipeline in dask (client.submit and client.map take futures as arguments):
//
//   blocks = [client.submit(load, seed, i) for i in range(n_blocks)]     # 1 MiB each, stay on workers
//   summaries = client.map(summarise, blocks)                             # each where its block is
//   del blocks                                                            # workers free them when done
//   while len(summaries) > 1:                                             # the tree reduction
//       pairs = [client.submit(combine, a, b) for a, b in zip(summaries[::2], summaries[1::2])]
//       summaries = pairs + summaries[len(pairs) * 2:]                    # an odd one is carried up
//   total = summaries[0].result()
//
// The client submits the whole graph at once and waits only for the last task. The scheduler
// sends each task once its inputs are done, to the worker that holds them if it has room; else
// the block goes from the worker that loaded it to the one that summarises it, never through
// the client. The client receives only the final summary, 40 bytes.
//
// Reproducible to the last bit: a block's values depend only on (seed, block index), and the
// tree pairs the blocks by index, not by which finished first, so the answer is the same inline,
// in the local farm and under mpirun with any number of workers. --check computes the answer
// again in a plain loop on the client (two passes, in long double) and compares.
#include <taskfarm/taskfarm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

// The readings of a sensor: around a large offset, so that the variance is a small difference
// of large numbers. A naive sum of squares (E[x^2] - E[x]^2) gets no digit right here (0.249
// for 0.0833); the count/mean/M2 summary below gets 12.
constexpr double offset = 1.0e6;

// What a block reduces to: 40 bytes, whatever the block's size.
struct Summary {
    std::uint64_t count = 0;
    double mean = 0;
    double m2 = 0;  // the sum of squared deviations from the mean
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
};

// Load: block `index` of the data set. A real pipeline would read a file or a slice of an
// array here; this one makes the block from its index, the same on every rank and inline.
std::vector<double> load(std::uint64_t seed, std::uint64_t index, std::uint64_t values) {
    auto stream = taskfarm::random_stream(seed, index);
    std::vector<double> block(values);
    for (auto& x : block) x = offset + double(stream() >> 11) * 0x1.0p-53;  // offset + uniform [0, 1)
    return block;
}

// Process: one block's summary. Its argument is the Future of a load task; the function takes the
// block itself. Two passes, as dask's var() does per chunk: the mean, then the squared deviations
// from it. The mean is summed as deviations from the block's first value, which are small and
// exact, so that it is right to its last bit or two.
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

// Reduce: two summaries as one, by the pairwise update of Chan, Golub and LeVeque (1979).
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

// The same statistics without the farm: every block loaded here, in two passes over the data.
struct Check {
    long double mean, variance;
};
Check serial_check(std::uint64_t seed, std::uint64_t n_blocks, std::uint64_t values) {
    long double sum = 0, squares = 0;
    std::uint64_t count = 0;
    for (std::uint64_t i = 0; i < n_blocks; ++i)
        for (double x : load(seed, i, values)) {
            sum += x;
            ++count;
        }
    long double mean = sum / count;
    for (std::uint64_t i = 0; i < n_blocks; ++i)
        for (double x : load(seed, i, values)) squares += (x - mean) * (x - mean);
    return {mean, squares / count};
}

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        std::uint64_t n_blocks = 13, values = 131'072, seed = 2024;  // 13 blocks of 1 MiB of doubles
        bool check = false;
        for (int i = 1; i < argc; ++i) {
            std::string arg = argv[i];
            if (arg == "--check") check = true;
            else if (i + 1 < argc && arg == "--blocks") n_blocks = std::stoull(argv[++i]);
            else if (i + 1 < argc && arg == "--block-values") values = std::stoull(argv[++i]);
            else if (i + 1 < argc && arg == "--seed") seed = std::stoull(argv[++i]);
            else {
                std::fprintf(stderr, "usage: %s [--blocks N] [--block-values N] [--seed S] [--check]\n", argv[0]);
                return 2;
            }
        }
        if (n_blocks == 0 || values == 0) {
            std::fprintf(stderr, "--blocks and --block-values must be at least 1\n");
            return 2;
        }

        // Load, then process: a Future<std::vector<double>> where summarise takes the vector.
        std::vector<taskfarm::Future<std::vector<double>>> blocks;
        for (std::uint64_t i = 0; i < n_blocks; ++i) blocks.push_back(client.submit(load, seed, i, values));
        std::vector<taskfarm::Future<Summary>> summaries = client.map(summarise, blocks);
        blocks.clear();  // each block is kept until its summarise task is done, then freed on its worker

        // Reduce: a level of combine tasks at a time, pairs in block order; an odd one goes up as
        // it is. Submitting a level waits for nothing, so the whole graph is submitted at once.
        std::string levels = std::to_string(summaries.size());
        int combines = 0;
        while (summaries.size() > 1) {
            std::vector<taskfarm::Future<Summary>> next;
            for (std::size_t i = 0; i + 1 < summaries.size(); i += 2, ++combines)
                next.push_back(client.submit(combine, summaries[i], summaries[i + 1]));
            if (summaries.size() % 2 == 1) next.push_back(summaries.back());
            summaries = std::move(next);
            levels += " -> " + std::to_string(summaries.size());
        }
        Summary total = summaries.front().get();

        double variance = total.m2 / double(total.count);  // ddof=0, as numpy's and dask's var()
        std::printf("blocks %llu of %llu values, reduced %s by %d combine tasks\n", (unsigned long long)n_blocks,
                    (unsigned long long)values, levels.c_str(), combines);
        std::printf("answer: count %llu mean %.17g variance %.17g min %.17g max %.17g\n",
                    (unsigned long long)total.count, total.mean, variance, total.min, total.max);
        if (!check) return 0;

        // The summaries hold each mean to the nearest double (1e-10 at 10^6), which limits the
        // variance's error to about epsilon * |mean| * sigma (the default run is off by 1/17 000 of
        // that, blocks of a few values by up to a third). The check allows 8 times as much.
        auto expected = serial_check(seed, n_blocks, values);
        long double epsilon = std::numeric_limits<double>::epsilon();
        long double mean_error = std::fabs(total.mean - expected.mean);
        long double mean_bound = 4 * epsilon * std::fabs(expected.mean);
        long double variance_error = std::fabs(variance - expected.variance);
        long double variance_bound = 8 * epsilon * std::fabs(expected.mean) * std::sqrt(expected.variance);
        bool agrees = total.count == n_blocks * values && mean_error <= mean_bound && variance_error <= variance_bound;
        std::printf("serial check: mean %.17Lg variance %.17Lg, differences %.1Le %.1Le (at most %.1Le %.1Le): %s\n",
                    expected.mean, expected.variance, mean_error, variance_error, mean_bound, variance_bound,
                    agrees ? "agree" : "DIFFER");
        return agrees ? 0 : 1;
    });
}
