// Must not compile: a pointer to the Client is still the Client, not a pointer like any other.
#include <taskfarm/taskfarm.hpp>

int count_workers(taskfarm::Client* client) { return client->workers(); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    return client.submit(count_workers, &client).get();
}
