// Estimate π by throwing darts, in batches of trajectories run on the workers.
//   mpirun -np 4 build/examples/02_monte_carlo [trajectories] [batch_size] [seed]
//
// Reproducible bit for bit, whatever the number of workers or the batch size: every
// trajectory draws from its own random stream, taskfarm::random_stream(seed, trajectory),
// and the hits are counted in integers. Any trajectory count works: taskfarm::blocks splits
// them into batches of at most batch_size, none dropped (a peer's MPI driver silently drops
// the remainder of trajectories / (workers * batch)).
#include <taskfarm/taskfarm.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

constexpr int darts_per_trajectory = 64;

// A double in [0, 1) from the top 53 bits: the same with every standard library, which
// std::uniform_real_distribution does not promise.
double uniform(taskfarm::RandomStream& stream) { return double(stream() >> 11) * 0x1.0p-53; }

// One task: the trajectories of one batch. Returns how many darts hit the circle.
std::uint64_t run_batch(std::uint64_t seed, taskfarm::Block batch) {
    std::uint64_t hits = 0;
    for (std::uint64_t trajectory = batch.begin; trajectory < batch.end; ++trajectory) {
        auto stream = taskfarm::random_stream(seed, trajectory);
        for (int dart = 0; dart < darts_per_trajectory; ++dart) {
            double x = uniform(stream), y = uniform(stream);
            hits += x * x + y * y <= 1.0;
        }
    }
    return hits;
}

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    std::uint64_t trajectories = argc > 1 ? std::stoull(argv[1]) : 1'000'003;
    std::uint64_t batch_size = std::max<std::uint64_t>(argc > 2 ? std::stoull(argv[2]) : 10'000, 1);
    std::uint64_t seed = argc > 3 ? std::stoull(argv[3]) : 2024;

    // As few batches as hold at most batch_size trajectories each, their sizes within one.
    std::uint64_t n_batches = trajectories / batch_size + (trajectories % batch_size != 0);
    std::vector<taskfarm::Future<std::uint64_t>> batches;
    for (auto batch : taskfarm::blocks(trajectories, n_batches))
        batches.push_back(client.submit(run_batch, seed, batch));

    std::uint64_t hits = 0;
    for (auto h : client.gather(batches)) hits += h;
    std::uint64_t darts = trajectories * darts_per_trajectory;
    std::printf("trajectories %llu in %zu batches, darts %llu, hits %llu\n", (unsigned long long)trajectories,
                batches.size(), (unsigned long long)darts, (unsigned long long)hits);
    std::printf("pi %.10f\n", 4.0 * double(hits) / double(darts));
}
