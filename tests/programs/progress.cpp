// Progress lines in a batch log: a map of 3000 tasks of 1 ms and a chunked map of 20 000
// tiny ones, 7 of which fail. The test sets TASKFARM_PROGRESS_INTERVAL and reads stderr.
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <cstdio>
#include <ranges>
#include <stdexcept>
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

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        auto first = client.gather(client.map(slow, std::views::iota(0, 3000)), taskfarm::OnError::skip);
        auto second = client.gather(client.map(fast, std::views::iota(0, 20000)), taskfarm::OnError::skip);
        std::printf("results %zu\n", first.size() + second.size());
    });
}
