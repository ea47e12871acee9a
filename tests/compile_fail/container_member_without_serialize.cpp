// Must not compile: a struct with a std::deque member and no serialize member. The message
// must be ours (how to make it travel), not cereal's page of template errors.
#include <taskfarm/taskfarm.hpp>

#include <deque>

struct Backlog {
    std::deque<int> items;
};

int size(Backlog backlog) { return static_cast<int>(backlog.items.size()); }

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    return client.submit(size, Backlog{}).get();
}
