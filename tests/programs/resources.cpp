// Resources (issue 14, item 6): a task asking for {"gpu", 1} runs only on a worker that has a
// GPU free (TASKFARM_WORKER_RESOURCES, read on each worker rank), never two at once there
// although the worker runs two tasks at once; a task no worker could ever run fails at once.
#include <taskfarm/taskfarm.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

namespace {
std::atomic<int> gpus_in_use{0};

// What the worker that ran it declared, and how many GPU tasks ran at once there at most.
std::pair<std::string, int> on_the_gpu(int) {
    int now = ++gpus_in_use;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    --gpus_in_use;
    const char* declared = std::getenv("TASKFARM_WORKER_RESOURCES");
    return {declared ? declared : "(none)", now};
}
int anywhere(int x) { return x; }
}  // namespace

int main(int argc, char** argv) {
    taskfarm::Options options;
    options.threads_per_worker = 2;
    return taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        taskfarm::TaskOptions gpu;
        gpu.resources = {{"gpu", 1}};
        auto gpu_tasks = client.map(on_the_gpu, std::vector<int>(8, 0), gpu);
        auto others = client.map(anywhere, std::vector<int>(8, 1));
        taskfarm::TaskOptions tpu;
        tpu.resources = {{"tpu", 1}};
        auto impossible = client.submit(anywhere, 2, tpu);
        int wrong_place = 0, most_at_once = 0;
        for (auto& [declared, at_once] : client.gather(gpu_tasks)) {
            wrong_place += declared != "gpu=1";
            most_at_once = std::max(most_at_once, at_once);
        }
        std::printf("gpu tasks: %d on a worker without a gpu, at most %d at once\n", wrong_place, most_at_once);
        client.gather(others);
        bool failed_fast = impossible.wait_for(std::chrono::seconds(10));
        try {
            impossible.get();
        } catch (const taskfarm::TaskError& e) {
            std::printf("impossible: %s (failed at once: %d)\n", e.what(), int(failed_fast));
        }
        return wrong_place == 0 && most_at_once == 1 ? 0 : 1;
    }, options);
}
