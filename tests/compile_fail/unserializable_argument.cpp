// Must not compile: an argument type that none of the three serialization rungs accepts.
#include <taskfarm/taskfarm.hpp>

#include <string>

struct Unsendable {
    std::string* owner = nullptr;  // not trivially copyable, and no serialize member
    std::string text;
};

int length(Unsendable u) { return static_cast<int>(u.text.size()); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    return client.submit(length, Unsendable{}).get();
}
