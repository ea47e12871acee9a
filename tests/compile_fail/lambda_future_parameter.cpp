// Must not compile: a lambda that takes a Future. Futures cannot travel to the worker; the
// lambda takes the Future's result instead.
#include <taskfarm/taskfarm.hpp>

int square(int x) { return x * x; }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto squared = client.submit(square, 3);
    return client.submit([](const taskfarm::Future<int>& x) { return 2 * x.get(); }, squared).get();
}
