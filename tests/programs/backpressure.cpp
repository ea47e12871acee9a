// Backpressure (issue 14, item 5): with TASKFARM_MAX_PENDING_BYTES set, submit waits for room,
// so the argument bytes in the farm stay under the bound; without one, a fast client has them
// all out at once.
//   backpressure bounded <bytes>   200 tasks of 1 MB arguments: never more than bytes/1 MB + 1
//                                  of them pending at a submit
//   backpressure unbounded         the same with no bound: most of them are pending at once
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t argument_bytes = 1 << 20;

std::size_t slow_size(const std::vector<char>& argument) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return argument.size();
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    std::size_t bound = mode == "bounded" && argc > 2 ? std::stoul(argv[2]) : 0;
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        if (mode != "bounded" && mode != "unbounded") {
            std::fprintf(stderr, "usage: backpressure bounded <bytes> | unbounded\n");
            return 2;
        }
        std::vector<taskfarm::Future<std::size_t>> sizes;
        std::size_t most_pending = 0;
        for (int i = 0; i < 200; ++i) {
            sizes.push_back(client.submit(slow_size, std::vector<char>(argument_bytes, char(i))));
            std::size_t pending = 0;
            for (const auto& size : sizes) pending += !size.ready();
            most_pending = std::max(most_pending, pending);
        }
        bool right = true;
        for (auto& size : sizes) right = right && size.get() == argument_bytes;
        std::printf("at most %zu tasks of 1 MB arguments pending at a submit\n", most_pending);
        if (!right) {
            std::printf("FAILED: a result is wrong\n");
            return 1;
        }
        if (client.workers() == 0) return 0;  // inline: each ran as it was submitted
        if (mode == "bounded" && most_pending > bound / argument_bytes + 1) {
            std::printf("FAILED: more than the bound of %zu bytes allows\n", bound);
            return 1;
        }
        if (mode == "unbounded" && most_pending < 50) {
            std::printf("FAILED: without a bound the client should have run ahead\n");
            return 1;
        }
        std::printf("backpressure as configured\n");
        return 0;
    });
}
