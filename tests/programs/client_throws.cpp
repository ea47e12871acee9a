// A client that does not catch: with "plain" it throws its own exception, with "task" it
// lets a task's TaskError escape main. Either way every rank must end, non-zero, and say why.
#include <taskfarm/taskfarm.hpp>

#include <stdexcept>
#include <string>

int reject(int x) { throw std::domain_error("input " + std::to_string(x) + " is out of range"); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    std::string mode = argc > 1 ? argv[1] : "plain";
    if (mode == "task") return client.submit(reject, 7).get();
    auto in_flight = client.submit(reject, 1);  // a farm with work in flight when the client throws
    (void)in_flight;
    throw std::runtime_error("the client gave up");
}
