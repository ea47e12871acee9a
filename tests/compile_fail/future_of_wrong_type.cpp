// Must not compile: a Future<int> passed where the function takes a std::string. A Future
// argument is passed as its result, so the function must take that result's type.
#include <taskfarm/taskfarm.hpp>

#include <string>

int square(int x) { return x * x; }
int length(const std::string& text) { return static_cast<int>(text.size()); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto squared = client.submit(square, 3);
    return client.submit(length, squared).get();
}
