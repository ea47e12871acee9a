// threads_per_worker runs several tasks at once on each worker: each task reports the most
// tasks it saw running together in its process. Prints that figure, and the arguments left
// to the program once taskfarm has taken its own flags.
#include <taskfarm/taskfarm.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ranges>
#include <thread>

std::atomic<int> running{0};
std::atomic<int> most{0};

int overlap(int) {
    int now = ++running;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    --running;
    return most.load();
}

int main(int argc, char** argv) {
    taskfarm::Options options;
    options.threads_per_worker = 2;
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        int seen = 0;
        for (int m : client.gather(client.map(overlap, std::views::iota(0, 12)))) seen = std::max(seen, m);
        std::printf("most tasks at once on one worker: %d\n", seen);
        // --taskfarm-* flags are gone by now; anything else is left for the program.
        std::printf("arguments left:");
        for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
        std::printf(" (%d)\n", argc);
    }, options);
}
