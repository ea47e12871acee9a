// Progress lines in a batch log: a map of 3000 tasks of 1 ms and a chunked map of 20 000
// tiny ones, 7 of which fail. `progress few`: 4 tasks of 1.5 s, far under the 1000 tasks
// that start the lines at once: they start after one interval. The test sets
// TASKFARM_PROGRESS_INTERVAL and reads stderr.
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdio>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>
#include <thread>

int slow(int i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (i % 1000 == 999) throw std::runtime_error("every thousandth fails");
    return i;
}

int fast(int i) {
    if (i % 5000 == 4999) throw std::runtime_error("every five thousandth fails");
    return i;
}

int nap(int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    return milliseconds;
}

int main(int argc, char** argv) {
    bool few = argc > 1 && std::string(argv[1]) == "few";
    return taskfarm::run(argc, argv, [few](taskfarm::Client& client) {
        if (few) {
            auto naps = client.gather(client.map(nap, std::vector<int>(4, 1500)));
            std::printf("naps %zu\n", naps.size());
            return;
        }
        auto first = client.gather(client.map(slow, std::views::iota(0, 3000)), taskfarm::OnError::skip);
        auto second = client.gather(client.map(fast, std::views::iota(0, 20000)), taskfarm::OnError::skip);
        std::printf("results %zu\n", first.size() + second.size());
    });
}
