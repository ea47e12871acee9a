// Must not compile: a function that takes a Future. Futures cannot travel to the worker; the
// function takes the Future's result instead.
#include <taskfarm/taskfarm.hpp>

int square(int x) { return x * x; }
int twice(taskfarm::Future<int> x) { return 2 * x.get(); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto squared = client.submit(square, 3);
    return client.submit(twice, squared).get();
}
