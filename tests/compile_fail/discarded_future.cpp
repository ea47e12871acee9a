// Must not compile with -Werror=unused-result: submit and map are [[nodiscard]], since
// dropping every Future of a task cancels it (fire_and_forget lets it run).
#include <taskfarm/taskfarm.hpp>

#include <vector>

void write_report(int) {}

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    client.submit(write_report, 1);
    client.map(write_report, std::vector<int>{1, 2});
}
