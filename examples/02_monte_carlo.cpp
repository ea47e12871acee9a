// Estimate π by throwing darts, in batches of trajectories run on the workers.
//   mpirun -np 4 build/examples/02_monte_carlo [trajectories] [batch_size] [seed]
//
// Reproducible bit for bit, whatever the number of workers or the batch size: every
// trajectory draws from its own random stream, seeded from the base seed and the
// trajectory's index, and the hits are counted in integers. Any trajectory count works:
// the last batch is simply shorter (a peer's MPI driver silently drops that remainder).
#include <taskfarm/taskfarm.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

constexpr int darts_per_trajectory = 64;

// splitmix64: a tiny, well-mixed generator; one stream per trajectory.
struct Stream {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
};

// One task: trajectories [first, first + count). Returns how many darts hit the circle.
std::uint64_t run_batch(std::uint64_t seed, std::uint64_t first, std::uint64_t count) {
    std::uint64_t hits = 0;
    for (std::uint64_t trajectory = first; trajectory < first + count; ++trajectory) {
        Stream stream{seed ^ (trajectory * 0xd1b54a32d192ed03ull)};
        for (int dart = 0; dart < darts_per_trajectory; ++dart) {
            double x = stream.uniform(), y = stream.uniform();
            hits += x * x + y * y <= 1.0;
        }
    }
    return hits;
}

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    std::uint64_t trajectories = argc > 1 ? std::stoull(argv[1]) : 1'000'003;
    std::uint64_t batch_size = argc > 2 ? std::stoull(argv[2]) : 10'000;
    std::uint64_t seed = argc > 3 ? std::stoull(argv[3]) : 2024;

    std::vector<taskfarm::Future<std::uint64_t>> batches;
    for (std::uint64_t first = 0; first < trajectories; first += batch_size)
        batches.push_back(client.submit(run_batch, seed, first, std::min(batch_size, trajectories - first)));

    std::uint64_t hits = 0;
    for (auto h : client.gather(batches)) hits += h;
    std::uint64_t darts = trajectories * darts_per_trajectory;
    std::printf("trajectories %llu in %zu batches, darts %llu, hits %llu\n", (unsigned long long)trajectories,
                batches.size(), (unsigned long long)darts, (unsigned long long)hits);
    std::printf("pi %.10f\n", 4.0 * double(hits) / double(darts));
}
