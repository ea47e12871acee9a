// A farm that outlasts its Slurm time limit: N tasks that each sleep MS milliseconds.
// Every run of a task appends "<input> <Slurm job id>" to LOG as it starts, so a test can
// count executions across the jobs of a resubmitted chain.
//   long_farm N MS LOG   prints "finished <input>" for each result as it arrives, then
//                        "all N results correct" once every result is checked
#include <taskfarm/taskfarm.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

long nap(long input, int ms, std::string log) {
    const char* job = std::getenv("SLURM_JOB_ID");
    std::string line = std::to_string(input) + " " + (job ? job : "none") + "\n";
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
        auto unused = ::write(fd, line.data(), line.size());  // one write: lines never interleave
        (void)unused;
        ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return input * input;
}

}  // namespace

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        if (argc != 4) {
            std::fprintf(stderr, "usage: long_farm N MS LOG\n");
            return 2;
        }
        long n = std::stol(argv[1]);
        int ms = std::stoi(argv[2]);
        std::string log = argv[3];
        std::vector<taskfarm::Future<long>> futures;
        for (long i = 0; i < n; ++i) futures.push_back(client.submit(nap, i, ms, log));
        for (auto& future : taskfarm::as_completed(futures)) {
            long square = future.get();
            std::printf("finished %ld\n", std::lround(std::sqrt(double(square))));
        }
        std::fflush(stdout);
        for (long i = 0; i < n; ++i)
            if (futures[std::size_t(i)].get() != i * i) {
                std::printf("wrong result for %ld\n", i);
                return 1;
            }
        std::printf("all %ld results correct\n", n);
        return 0;
    });
}
