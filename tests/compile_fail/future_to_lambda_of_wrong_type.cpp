// Must not compile: a lambda that cannot take the result of its Future argument (an int
// where it takes a std::string).
#include <taskfarm/taskfarm.hpp>

#include <string>

int square(int x) { return x * x; }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto squared = client.submit(square, 3);
    auto length = [](const std::string& text) { return static_cast<int>(text.size()); };
    return client.submit(length, squared).get();
}
