// Memory of task graphs (issue 14, items 4 and 8): data that stays on the workers is kept once.
//   graph_memory scatter|broadcast   an 8 MB table placed once and read by 300 tasks: every
//                                    rank (client, scheduler, workers) stays near one copy of
//                                    it, where passing the table itself to each task made the
//                                    client reach 1.6 GB and the scheduler 2.2 GB.
//   graph_memory pipeline            a 2-stage pipeline of 8 MB intermediates: once the final
//                                    results are in and dropped, the worker's memory is back near
//                                    its baseline (the intermediates were freed).
#include "memory.hpp"

#include <taskfarm/taskfarm.hpp>

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

namespace {

constexpr std::size_t table_doubles = 1'000'000;  // 8 MB
constexpr long rank_limit_kib = 120 * 1024;        // a few copies of the table, far from 300

double lookup(const std::vector<double>& table, int i) { return table[std::size_t(i) * 1000 % table.size()]; }
std::vector<double> make_block(int seed) { return std::vector<double>(table_doubles, double(seed)); }
double block_sum(const std::vector<double>& block) { return std::accumulate(block.begin(), block.end(), 0.0); }
// The bytes the worker's allocator has handed out and not had back: what the runtime keeps,
// apart from what glibc keeps for reuse (freed 8 MB blocks in its arenas count in the
// resident size but not here).
long allocated_kib() {
    auto info = mallinfo2();
    return long((info.uordblks + info.hblkhd) / 1024);
}
long peak_kib() { return test::peak_resident_kib(); }

int place_table(taskfarm::Client& client, bool everywhere) {
    std::vector<double> table(table_doubles);
    std::iota(table.begin(), table.end(), 0.0);
    auto placed = everywhere ? client.broadcast(table) : client.scatter(table);
    std::vector<taskfarm::Future<double>> reads;
    for (int i = 0; i < 300; ++i) reads.push_back(client.submit(lookup, placed, i));
    double sum = 0;
    for (auto& read : reads) sum += read.get();
    double expected = 0;
    for (int i = 0; i < 300; ++i) expected += table[std::size_t(i) * 1000 % table.size()];
    std::printf("300 tasks read the %s table: sum %.0f (expected %.0f)\n", everywhere ? "broadcast" : "scattered", sum,
                expected);
    if (placed.get().size() != table_doubles) return 1;
    return sum == expected ? 0 : 1;
}

int pipeline(taskfarm::Client& client) {
    long baseline = client.submit(allocated_kib).get();
    std::vector<taskfarm::Future<double>> sums;
    for (int i = 0; i < 40; ++i) sums.push_back(client.submit(block_sum, client.submit(make_block, i)));
    double total = 0;
    for (auto& sum : sums) total += sum.get();
    sums.clear();  // the last references: nothing of the pipeline is needed any more
    long after = client.submit(allocated_kib).get();
    long peak = client.submit(peak_kib).get();
    double expected = 0;
    for (int i = 0; i < 40; ++i) expected += double(i) * table_doubles;
    std::printf("worker memory allocated: %ld MiB before, %ld MiB after 40 x 2 stages of 8 MB (peak resident %ld MiB)\n",
                baseline / 1024, after / 1024, peak / 1024);
    constexpr long slack_kib = 16 * 1024;  // less than two of the 8 MB intermediates
    bool ok = total == expected && peak > 8 * 1024 && after < baseline + slack_kib;
    std::printf(ok ? "intermediates freed: memory back near baseline\n" : "FAILED\n");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    int status = taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        if (mode == "scatter" || mode == "broadcast") return place_table(client, mode == "broadcast");
        if (mode == "pipeline") return pipeline(client);
        std::fprintf(stderr, "usage: graph_memory scatter|broadcast|pipeline\n");
        return 2;
    });
    // Under a launcher every rank, the scheduler and the workers too, says how much memory it
    // ever used. Inline and in the local farm one process holds every role: no rank to bound.
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if ((mode != "scatter" && mode != "broadcast") || !rank) return status;
    long peak = test::peak_resident_kib();
    bool within = peak < rank_limit_kib;
    std::printf("rank %s peak %ld MiB (limit %ld MiB): %s\n", rank, peak / 1024, rank_limit_kib / 1024,
                within ? "near one copy" : "FAILED");
    return status != 0 ? status : within ? 0 : 1;
}
