// Resume after a kill. Submits N slow tasks with a journal (TASKFARM_JOURNAL); every run of
// a task appends its input to a log file, so the test can count executions.
//   resume kill K N LOG     prints "finished <square>" for each result it sees, and sends
//                           itself SIGTERM once K results are in
//   resume finish N LOG     gathers all N and checks every result
//   resume hang             is killed while a task runs, unless the journal refuses that
//                           task as poison, which it prints
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

// A task that is still running whenever the job is killed.
int hang(int) {
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return 0;
}

[[noreturn]] void wall_time_limit_strikes() {
    std::fflush(stdout);
    std::raise(SIGTERM);
    std::this_thread::sleep_for(std::chrono::seconds(30));
    std::exit(1);
}

int poison(taskfarm::Client& client) {
    auto future = client.submit(hang, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    try {
        if (future.ready()) future.get();
    } catch (const taskfarm::TaskError& e) {
        std::printf("refused: %s\n", e.what());
        return 0;
    }
    std::printf("hang() is running; the wall-time limit strikes\n");
    wall_time_limit_strikes();
}

int resume(taskfarm::Client& client, long kill_after, long n, const std::string& log) {
    std::vector<taskfarm::Future<long>> futures;
    for (long i = 0; i < n; ++i) futures.push_back(client.submit(slow_square, i, log));
    if (kill_after >= 0) {
        long done = 0;
        for (auto& future : taskfarm::as_completed(futures)) {
            std::printf("finished %ld\n", future.get());
            if (++done == kill_after) {
                std::printf("%ld results in; the wall-time limit strikes\n", done);
                wall_time_limit_strikes();
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
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) -> int {
        if (mode == "hang") return poison(client);
        bool kill = mode == "kill";
        long kill_after = kill ? std::stol(argv[2]) : -1;
        long n = std::stol(argv[kill ? 3 : 2]);
        std::string log = argv[kill ? 4 : 3];
        return resume(client, kill_after, n, log);
    });
}
