// Block analysis of a long trajectory, as MDAnalysis users do with dask: split the frames
// into n_blocks blocks (taskfarm::blocks), analyse each block on a worker, reduce on the client.
//   mpirun -np 4 build/examples/03_block_analysis [frames] [n_blocks]   (0: one per worker)
//
// The analysis is an RMSD of every frame against the first. Each block returns its
// per-frame values and the client sums them in frame order, so the answer is identical
// to the last bit for any n_blocks, any number of workers, and inline with -np 1.
#include <taskfarm/taskfarm.hpp>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

constexpr int atoms = 64;

struct Position {
    double x, y, z;
};

// The synthetic trajectory: atom positions at a frame, computed from the frame's index
// (a real analysis would read the frame from the trajectory file here).
Position position(long frame, int atom) {
    double t = 0.01 * double(frame);
    double phase = 0.37 * atom;
    return {std::sin(t + phase) + 0.1 * atom, std::cos(1.3 * t + phase), 0.05 * std::sin(7.0 * t) * atom};
}

double rmsd_to_first_frame(long frame) {
    double sum = 0;
    for (int atom = 0; atom < atoms; ++atom) {
        auto p = position(frame, atom), q = position(0, atom);
        sum += (p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y) + (p.z - q.z) * (p.z - q.z);
    }
    return std::sqrt(sum / atoms);
}

// One task: the frames [block.begin, block.end).
std::vector<double> analyse_block(taskfarm::Block block) {
    std::vector<double> rmsd;
    for (auto frame = block.begin; frame < block.end; ++frame) rmsd.push_back(rmsd_to_first_frame(static_cast<long>(frame)));
    return rmsd;
}

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    std::size_t frames = argc > 1 ? std::stoul(argv[1]) : 200'000;
    std::size_t n_blocks = argc > 2 ? std::stoul(argv[2]) : 16;

    // Contiguous blocks in frame order, as even as possible; 0 blocks means one per worker.
    auto per_block = client.map(analyse_block, taskfarm::blocks(frames, n_blocks));

    double total = 0;
    std::size_t counted = 0;
    for (const auto& block : client.gather(per_block)) {
        for (double value : block) total += value;  // frame order, whatever the blocking
        counted += block.size();
    }
    std::printf("frames %zu in %zu blocks\n", counted, per_block.size());
    std::printf("mean rmsd %.17g\n", total / double(counted));
}
