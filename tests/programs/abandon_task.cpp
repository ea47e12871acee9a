// The client finishes while a worker is deep in a long task: the job must still end at
// once, with status 0, instead of waiting for the task. The Future kept past the farm's end
// then says what a pending task is after shutdown (issue 13, item 7): ready() and
// cancelled() are true; get(), wait() and exception() throw UsageError.
#include <taskfarm/taskfarm.hpp>

#include <chrono>
#include <iostream>
#include <thread>

void sleep_long() { std::this_thread::sleep_for(std::chrono::seconds(120)); }

template <class Call>
const char* usage_error(Call call) {
    try {
        call();
    } catch (const taskfarm::UsageError&) {
        return "UsageError";
    } catch (...) {
        return "another error";
    }
    return "no error";
}

int main(int argc, char** argv) {
    taskfarm::Future<void> slow;
    {
        auto client = taskfarm::initialize(argc, argv);
        slow = client.submit(sleep_long);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it start
        std::cout << "client done, task still running" << std::endl;
    }
    std::cout << "after shutdown: ready " << slow.ready() << ", cancelled " << slow.cancelled() << ", get "
              << usage_error([&] { slow.get(); }) << ", wait " << usage_error([&] { slow.wait(); }) << ", exception "
              << usage_error([&] { (void)slow.exception(); }) << std::endl;
}
