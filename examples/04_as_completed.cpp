// Tasks of varied durations, consumed in the order they finish, not the order submitted.
//   mpirun -np 4 build/examples/04_as_completed
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

struct Outcome {
    int task;
    int milliseconds;
};

Outcome simulate(int task, int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    return {task, milliseconds};
}

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    std::vector<taskfarm::Future<Outcome>> futures;
    for (int task = 0; task < 12; ++task) futures.push_back(client.submit(simulate, task, (task * 37) % 120));

    int consumed = 0;
    for (const auto& future : taskfarm::as_completed(futures)) {
        auto outcome = future.get();
        std::printf("task %2d finished after %3d ms\n", outcome.task, outcome.milliseconds);
        ++consumed;
    }
    std::printf("consumed %d results as they completed\n", consumed);
}
