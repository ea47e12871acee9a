// Must not compile: a capturing lambda as an argument (not as the function) holds state that
// lives only in the client's process.
#include <taskfarm/taskfarm.hpp>

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    int offset = 3;
    auto add_offset = [offset](int x) { return x + offset; };
    return client.submit([](auto add, int x) { return add(x); }, add_offset, 4).get();
}
