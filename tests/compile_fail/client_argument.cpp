// Must not compile: the Client as an argument; tasks run on workers, which have no client.
#include <taskfarm/taskfarm.hpp>

int count_workers(taskfarm::Client& client) { return client.workers(); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    return client.submit(count_workers, client).get();
}
