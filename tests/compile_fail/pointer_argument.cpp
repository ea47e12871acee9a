// Must not compile: a pointer as an argument points into the client's memory, which the
// worker that runs the task cannot see.
#include <taskfarm/taskfarm.hpp>

int read_value(const int* value) { return *value; }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    int value = 3;
    return client.submit(read_value, &value).get();
}
