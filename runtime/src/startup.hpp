#pragma once
// Start-up is agreed: every rank checks what it can on its own (its configuration, its
// directories, the client's journal), then all ranks exchange what they found in one
// collective, and each decides from the same reports whether the farm starts. So a check
// that fails on one rank ends every rank with the same status, instead of leaving the others
// waiting in a collective it never reaches. The decision is pure code, tested without MPI.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace taskfarm::detail {

// Exit statuses of a job that could not start, or that lost a rank on the way.
constexpr int status_too_few_ranks = 2;
constexpr int status_mismatched_programs = 3;
constexpr int status_bad_configuration = 4;
constexpr int status_bad_journal = 5;
constexpr int status_worker_lost = 6;

// What one rank found while starting up.
struct StartupReport {
    int status = 0;        // 0: all well; else the exit status its failure calls for
    std::string failure;   // what went wrong, as the line should say it
    std::uint64_t fingerprint = 0;
    std::string host;
    std::string program;  // the binary's path, to name it when ranks run different ones
    // The options in force on this rank, as (name, value); empty when they could not be read.
    std::vector<std::pair<std::string, std::string>> settings;
    friend bool operator==(const StartupReport&, const StartupReport&) = default;
};

std::string encode_report(const StartupReport& report);
// Throws std::invalid_argument for bytes that are not a report.
StartupReport decode_report(const std::string& bytes);

struct StartupLine {
    int rank;  // the rank that prints it (its prefix names it)
    std::string text;
};
struct StartupVerdict {
    int status = 0;  // 0: the farm starts
    std::vector<StartupLine> lines;
};

// The one setting that may differ between ranks: each worker's own resources.
constexpr const char* per_rank_setting = "worker_resources";

// The same verdict on every rank, from every rank's report (index = rank). program names the
// binary in the advice for a too-small job.
StartupVerdict agree_on_startup(const std::vector<StartupReport>& reports, const std::string& program);

// "rank 3", "ranks 0-1", "ranks 0, 2, 5-7".
std::string describe_ranks(const std::vector<int>& ranks);

}  // namespace taskfarm::detail
