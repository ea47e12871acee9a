// Must not compile: a std::vector<Future<int>> passed where the function takes a
// std::vector<double>. It is passed as its results, a std::vector<int>.
#include <taskfarm/taskfarm.hpp>

#include <vector>

int square(int x) { return x * x; }
double total(const std::vector<double>& values) {
    double sum = 0;
    for (double value : values) sum += value;
    return sum;
}

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto squares = client.map(square, std::vector<int>{1, 2, 3});
    return static_cast<int>(client.submit(total, squares).get());
}
