// A 1 GiB std::vector<double> argument: the peak resident memory of the client and of the
// worker must stay under 2.5 times the payload (one copy in flight, no archive copies), and
// the scheduler's under 100 MiB (the argument goes from the client to the worker directly).
#include "memory.hpp"

#include <taskfarm/taskfarm.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <numeric>

struct Report {
    double sum = 0;
    long worker_peak_kib = 0;
};

Report add_up(const std::vector<double>& values) {
    return {std::accumulate(values.begin(), values.end(), 0.0), test::peak_resident_kib()};
}

int main(int argc, char** argv) {
    int status = taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        constexpr std::size_t payload_bytes = std::size_t(1) << 30;
        std::vector<double> payload(payload_bytes / sizeof(double), 1.0);
        auto report = client.submit(add_up, payload).get();
        long client_peak_kib = test::peak_resident_kib();
        double limit_kib = 2.5 * payload_bytes / 1024;

        std::printf("payload %zu MiB, sum %.0f\n", payload_bytes >> 20, report.sum);
        std::printf("client peak %ld MiB, worker peak %ld MiB, limit %.0f MiB\n", client_peak_kib / 1024,
                    report.worker_peak_kib / 1024, limit_kib / 1024);
        bool ok = report.sum == double(payload.size()) && client_peak_kib < limit_kib &&
                  report.worker_peak_kib < limit_kib;
        std::printf(ok ? "within the limit\n" : "FAILED\n");
        return ok ? 0 : 1;
    });
    // The scheduler never sees the argument: it waits on the client until its worker asks.
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (rank && std::string(rank) == "0") {
        long peak_kib = test::peak_resident_kib();
        bool small = peak_kib < 100 * 1024;
        std::printf("scheduler peak %ld MiB: %s\n", peak_kib / 1024, small ? "the argument did not pass it" : "FAILED");
        if (!small) return 1;
    }
    return status;
}
