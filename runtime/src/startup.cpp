#include "startup.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>

namespace taskfarm::detail {
namespace {

// A report travels as a list of "<length>:<bytes>" fields.
void put(std::string& out, const std::string& field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

std::string take(const std::string& in, std::size_t& at) {
    auto colon = in.find(':', at);
    if (colon == std::string::npos) throw std::invalid_argument("a start-up report is truncated");
    std::size_t length = 0;
    try {
        length = std::stoull(in.substr(at, colon - at));
    } catch (const std::exception&) {
        throw std::invalid_argument("a start-up report has a bad field length");
    }
    if (length > in.size() - colon - 1) throw std::invalid_argument("a start-up report is truncated");
    at = colon + 1 + length;
    return in.substr(colon + 1, length);
}

std::string hex(std::uint64_t value) {
    std::ostringstream out;
    out << std::hex << std::setw(16) << std::setfill('0') << value;
    return out.str();
}

}  // namespace

std::string encode_report(const StartupReport& report) {
    std::string out;
    put(out, std::to_string(report.status));
    put(out, report.failure);
    put(out, std::to_string(report.fingerprint));
    put(out, report.host);
    put(out, report.program);
    put(out, std::to_string(report.settings.size()));
    for (const auto& [name, value] : report.settings) {
        put(out, name);
        put(out, value);
    }
    return out;
}

StartupReport decode_report(const std::string& bytes) {
    StartupReport report;
    std::size_t at = 0;
    try {
        report.status = std::stoi(take(bytes, at));
        report.failure = take(bytes, at);
        report.fingerprint = std::stoull(take(bytes, at));
        report.host = take(bytes, at);
        report.program = take(bytes, at);
        auto count = std::stoull(take(bytes, at));
        for (std::uint64_t i = 0; i < count; ++i) {
            auto name = take(bytes, at);
            report.settings.emplace_back(std::move(name), take(bytes, at));
        }
    } catch (const std::invalid_argument&) {
        throw;
    } catch (const std::exception&) {
        throw std::invalid_argument("a start-up report has a bad number");
    }
    if (at != bytes.size()) throw std::invalid_argument("a start-up report has trailing bytes");
    return report;
}

std::string describe_ranks(const std::vector<int>& ranks) {
    std::string text = ranks.size() == 1 ? "rank " : "ranks ";
    for (std::size_t i = 0; i < ranks.size();) {
        std::size_t j = i;
        while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
        if (i > 0) text += ", ";
        text += std::to_string(ranks[i]);
        if (j > i) text += "-" + std::to_string(ranks[j]);
        i = j + 1;
    }
    return text;
}

namespace {
// Failures found on the ranks themselves: each distinct one is said once, by the first rank
// that had it, naming the others; the job ends with the first failing rank's status (0: none).
StartupVerdict failures(const std::vector<StartupReport>& reports) {
    auto size = static_cast<int>(reports.size());
    StartupVerdict verdict;
    std::vector<std::pair<std::string, std::vector<int>>> failures;
    for (int rank = 0; rank < size; ++rank) {
        const auto& report = reports[rank];
        if (report.status == 0) continue;
        if (verdict.status == 0) verdict.status = report.status;
        auto same = std::find_if(failures.begin(), failures.end(), [&](auto& f) { return f.first == report.failure; });
        if (same == failures.end()) failures.push_back({report.failure, {rank}});
        else same->second.push_back(rank);
    }
    for (const auto& [text, ranks] : failures) {
        auto line = text;
        if (ranks.size() > 1) line += " (the same on " + describe_ranks(ranks) + ")";
        verdict.lines.push_back({ranks.front(), std::move(line)});
    }
    return verdict;
}

// Names both programs by path (an MPMD launch of two binaries), or says that one path holds
// two builds (a binary rebuilt between launches, or a different copy on another host).
std::string different_programs(const std::vector<StartupReport>& reports, int first, int other) {
    const auto& a = reports[first];
    const auto& b = reports[other];
    auto rank = [](int r) { return "rank " + std::to_string(r); };
    std::string text;
    if (a.program == b.program) {
        text = "ranks run different programs: " + rank(first) + " on " + a.host + " and " + rank(other) + " on " +
               b.host + " both run " + a.program + ", the same path but different builds (fingerprint " +
               hex(a.fingerprint) + " and " + hex(b.fingerprint) +
               "): was it rebuilt while the job started, or is the file on one host not the one on the other?";
    } else {
        text = "ranks run different programs: " + rank(first) + " runs " + a.program + " (fingerprint " +
               hex(a.fingerprint) + ") and " + rank(other) + " runs " + b.program + " (fingerprint " +
               hex(b.fingerprint) + ").";
    }
    return text + " Every rank of a farm must run the same build of the same binary.";
}

}  // namespace

StartupVerdict agree_on_startup(const std::vector<StartupReport>& reports, const std::string& program) {
    auto size = static_cast<int>(reports.size());
    if (size == 2) {
        return {status_too_few_ranks,
                {{0, "a farm needs at least 3 ranks (rank 0 schedules, rank 1 runs your client code, ranks 2.. are "
                     "workers), but this job has 2. Run with -np 3 or more, e.g. `mpirun -np 4 " +
                         program + "`, or with no launcher (or -np 1) to run every task inline."}}};
    }
    for (int rank = 1; rank < size; ++rank)
        if (reports[rank].fingerprint != reports[0].fingerprint)
            return {status_mismatched_programs, {{0, different_programs(reports, 0, rank)}}};

    // Every rank read its options by itself: they must be the same everywhere (a variable set
    // on one host only, or with mpirun without -x, gives ranks different ones). Checked first
    // when every rank could read them, since a difference explains what else went wrong (a
    // journal opened on some ranks only).
    bool every_rank_read_its_options =
        std::all_of(reports.begin(), reports.end(), [](const StartupReport& r) { return !r.settings.empty(); });
    if (!every_rank_read_its_options) return failures(reports);
    std::vector<std::string> differences;
    for (const auto& [name, ignored] : reports[0].settings) {
        if (name == per_rank_setting) continue;
        std::map<std::string, std::vector<int>> ranks_by_value;
        for (int rank = 0; rank < size; ++rank) {
            std::string value = "(not set)";
            for (const auto& [other, other_value] : reports[rank].settings)
                if (other == name) value = other_value;
            ranks_by_value[value].push_back(rank);
        }
        if (ranks_by_value.size() == 1) continue;
        std::string difference = name + " is";
        std::string separator = " ";
        for (const auto& [value, ranks] : ranks_by_value) {
            difference += separator + "'" + value + "' on " + describe_ranks(ranks);
            separator = " and ";
        }
        differences.push_back(std::move(difference));
    }
    if (differences.empty()) return failures(reports);
    std::string text = "options differ between ranks: ";
    for (std::size_t i = 0; i < differences.size(); ++i) text += (i > 0 ? "; " : "") + differences[i];
    text += ". Every rank must be given the same options (across hosts, pass each TASKFARM_* variable to every rank, "
            "e.g. mpirun -x TASKFARM_JOURNAL).";
    return {status_bad_configuration, {{0, std::move(text)}}};
}

}  // namespace taskfarm::detail
