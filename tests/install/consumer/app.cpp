#include <taskfarm/taskfarm.hpp>

#include <iostream>
#include <ranges>

int cube(int x) { return x * x * x; }

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [](taskfarm::Client& client) {
        long total = 0;
        for (int value : client.gather(client.map(cube, std::views::iota(1, 11)))) total += value;
        std::cout << "consumer total " << total << "\n";
    });
}
