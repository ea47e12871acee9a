// 200 tasks each return 50 MB, which stay on the worker until their futures are dropped.
// Once every future is gone, the worker's memory must be back near where it started.
#include "memory.hpp"

#include <taskfarm/taskfarm.hpp>

#include <cstdio>
#include <ranges>

std::vector<char> fifty_megabytes(int seed) { return std::vector<char>(50'000'000, static_cast<char>(seed)); }
long worker_resident_kib() { return test::resident_kib(); }
long worker_peak_kib() { return test::peak_resident_kib(); }

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        long baseline = client.submit(worker_resident_kib).get();
        auto futures = client.map(fifty_megabytes, std::views::iota(0, 200));
        auto first = futures.front().get();  // one result fetched, to show they are real
        for (auto& future : futures) {
            future.wait();
            future = {};  // dropped: the worker frees the result
        }
        long after = client.submit(worker_resident_kib).get();
        long peak = client.submit(worker_peak_kib).get();
        std::printf("worker resident: %ld MiB before, peak %ld MiB, %ld MiB after 200 x 50 MB results\n",
                    baseline / 1024, peak / 1024, after / 1024);
        constexpr long slack_kib = 64 * 1024;
        bool ok = first.size() == 50'000'000 && first[0] == 0 && peak > baseline + 50'000 && after < baseline + slack_kib;
        std::printf(ok ? "memory back near baseline\n" : "FAILED\n");
        return ok ? 0 : 1;
    });
}
