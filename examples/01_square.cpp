// The dask-mpi example from our users' HPC course: square 1000 numbers on the workers.
//   mpirun -np 4 build/examples/01_square      (or with no launcher: every task runs inline)
#include <taskfarm/taskfarm.hpp>
#include <iostream>
#include <numeric>
#include <ranges>

int square(int i) { return i * i; }

int main(int argc, char** argv) {
    taskfarm::Client client = taskfarm::initialize(argc, argv);
    auto futures = client.map(square, std::views::iota(0, 1000));
    std::vector<int> results = client.gather(futures);
    std::cout << "sum " << std::accumulate(results.begin(), results.end(), 0L) << "\n";
    std::cout << "-*# finished #*-\n";
}
