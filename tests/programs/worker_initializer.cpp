// Options::worker_initializer (issue 14, item 7): run once in each process that runs tasks,
// before its first task; a throw ends the job with a line naming the rank.
//   worker_initializer          40 tasks each report how often the initializer ran in their
//                               process (must be 1) and whether it ran before them
//   worker_initializer throw    the initializer throws
#include <taskfarm/taskfarm.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

namespace {
std::atomic<int> initializer_runs{0};
bool should_throw = false;

void load_model() {
    if (should_throw) throw std::runtime_error("the model file is missing");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // tasks that arrive meanwhile wait
    initializer_runs.fetch_add(1);
}

int runs_seen(int) { return initializer_runs.load(); }
}  // namespace

int main(int argc, char** argv) {
    should_throw = argc > 1 && std::string(argv[1]) == "throw";
    taskfarm::Options options;
    options.worker_initializer = load_model;
    return taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        auto seen = client.gather(client.map(runs_seen, std::vector<int>(40, 0)));
        int wrong = 0;
        for (int runs : seen) wrong += runs != 1;
        std::printf("%d of %zu tasks saw the initializer run exactly once before them\n",
                    int(seen.size()) - wrong, seen.size());
        return wrong == 0 ? 0 : 1;
    }, options);
}
