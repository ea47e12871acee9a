// taskfarm::run returns the client's status on every rank; "throw" makes the client fail.
#include <taskfarm/taskfarm.hpp>

#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        int four = client.submit([](int x) { return x + 1; }, 3).get();
        if (mode == "throw") throw std::logic_error("client logic failed");
        return four + 3;  // 7
    });
}
