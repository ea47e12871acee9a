// An idle farm must not burn CPU. The client warms the farm up, then does its own work
// (here: sleeping) while every rank of the job is measured through /proc. All ranks of an
// mpirun on one host are children of the same launcher process.
#include <taskfarm/taskfarm.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <ranges>
#include <sstream>
#include <string>
#include <thread>

namespace {

struct ProcStat {
    long parent = 0;
    double cpu_seconds = 0;
};

ProcStat read_stat(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    ProcStat stat;
    auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return stat;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 4) stat.parent = std::stol(field);
        if (index == 14) utime = std::stol(field);
        if (index == 15) stime = std::stol(field);
    }
    stat.cpu_seconds = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    return stat;
}

std::map<long, double> cpu_of_job() {
    long launcher = read_stat("/proc/self/stat").parent;
    std::map<long, double> cpu;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        auto stat = read_stat(entry.path() / "stat");
        if (stat.parent == launcher) cpu[std::stol(name)] = stat.cpu_seconds;
    }
    return cpu;
}

}  // namespace

int main(int argc, char** argv) {
    auto client = taskfarm::initialize(argc, argv);
    auto warm = client.gather(client.map([](int i) { return i; }, std::views::iota(0, 2000)));

    constexpr double idle_seconds = 3.0;
    constexpr double allowed_share = 0.03;  // of one core, per rank
    auto before = cpu_of_job();
    std::this_thread::sleep_for(std::chrono::duration<double>(idle_seconds));
    auto after = cpu_of_job();

    // Under a launcher each rank is a process; started plainly, the local farm is one process
    // holding every role, allowed the share of all of them.
    bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
    int roles = client.workers() + 2;
    std::size_t processes = launched ? static_cast<std::size_t>(roles) : 1;
    double allowed = allowed_share * idle_seconds * (launched ? 1 : roles);
    int spinning = 0;
    for (auto [pid, cpu] : after) {
        double used = cpu - before[pid];
        std::printf("pid %ld used %.3f s of CPU in %.1f s idle\n", pid, used, idle_seconds);
        if (used > allowed) ++spinning;
    }
    std::printf("%zu processes measured, %d over %.0f%% of a core per role\n", after.size(), spinning, allowed_share * 100);
    if (after.size() != processes) {
        std::printf("FAILED: expected to find %zu processes\n", processes);
        return 1;
    }
    if (spinning > 0) {
        std::printf("FAILED: idle ranks spin\n");
        return 1;
    }
    std::printf("idle farm is quiet\n");
}
