// Must not compile: a Future<void> as an argument; its task returns no value to pass.
#include <taskfarm/taskfarm.hpp>

void prepare() {}
int run_step(int step) { return step; }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto prepared = client.submit(prepare);
    return client.submit(run_step, prepared).get();
}
