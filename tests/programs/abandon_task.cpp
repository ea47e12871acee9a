// The client finishes while a worker is deep in a long task: the job must still end at
// once, with status 0, instead of waiting for the task.
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <iostream>
#include <thread>

void sleep_long() { std::this_thread::sleep_for(std::chrono::seconds(120)); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto slow = client.submit(sleep_long);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it start
    std::cout << "client done, task still running\n";
}
