// Must not compile: a capturing lambda holds state that lives only in the client's process.
#include <taskfarm/taskfarm.hpp>

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    int offset = 3;
    return client.submit([offset](int x) { return x + offset; }, 4).get();
}
