// Resume after a kill. Submits N slow tasks with a journal (TASKFARM_JOURNAL); every run of
// a task appends its input to a log file, so the test can count executions.
//   resume kill K N LOG     prints "finished <square>" for each result it sees, and sends
//                           itself SIGTERM once K results are in
//   resume finish N LOG     gathers all N and checks every result
#include <taskfarm/taskfarm.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

long slow_square(long i, std::string log) {
    std::string line = std::to_string(i) + "\n";
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
        auto unused = ::write(fd, line.data(), line.size());
        (void)unused;
        ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return i * i;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    long kill_after = mode == "kill" ? std::stol(argv[2]) : -1;
    long n = std::stol(argv[mode == "kill" ? 3 : 2]);
    std::string log = argv[mode == "kill" ? 4 : 3];
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        std::vector<taskfarm::Future<long>> futures;
        for (long i = 0; i < n; ++i) futures.push_back(client.submit(slow_square, i, log));
        if (kill_after >= 0) {
            long done = 0;
            for (auto& future : taskfarm::as_completed(futures)) {
                std::printf("finished %ld\n", future.get());
                if (++done == kill_after) {
                    std::printf("%ld results in; the wall-time limit strikes\n", done);
                    std::fflush(stdout);
                    std::raise(SIGTERM);
                    std::this_thread::sleep_for(std::chrono::seconds(30));
                }
            }
            return 1;
        }
        auto results = client.gather(futures);
        for (long i = 0; i < n; ++i)
            if (results[std::size_t(i)] != i * i) {
                std::printf("wrong result for %ld\n", i);
                return 1;
            }
        std::printf("all %ld results correct\n", n);
        return 0;
    });
}
