#include "progress.hpp"

#include "log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace taskfarm::detail {
namespace {

std::string rate_text(double per_second) {
    char text[32];
    if (per_second >= 1e6) std::snprintf(text, sizeof text, "%.2fM", per_second / 1e6);
    else if (per_second >= 1e4) std::snprintf(text, sizeof text, "%.1fk", per_second / 1e3);
    else std::snprintf(text, sizeof text, "%.0f", per_second);
    return text;
}

std::string duration_text(double seconds) {
    auto s = static_cast<long>(seconds + 0.5);
    char text[32];
    if (s >= 3600) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    return text;
}

}  // namespace

double TaskCounts::rate(Clock::time_point now) const {
    double elapsed = std::chrono::duration<double>(now - started).count();
    auto ended = finished(), resumed = std::min(from_journal.load(), ended);
    return elapsed > 0 ? double(ended - resumed) / elapsed : 0;
}

ProgressReport::ProgressReport(const TaskCounts& counts, bool always, std::chrono::duration<double> interval,
                               bool terminal)
    : counts_(counts), always_(always), terminal_(terminal), interval_(interval), start_after_(interval) {
    if (terminal_) interval_ = std::chrono::milliseconds(200);
    thread_ = std::thread([this] { run(); });
}

ProgressReport::~ProgressReport() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    auto finished = counts_.finished();
    if (counts_.submitted > 0 && last_printed_ != ~std::uint64_t(0) && finished != last_printed_)
        print(counts_.unfinished() == 0);
    else if (counts_.submitted > 0 && last_printed_ == ~std::uint64_t(0) && (always_ || counts_.submitted > threshold))
        print(counts_.unfinished() == 0);  // a run too short for a line in between still gets its last one
}

bool ProgressReport::due(TaskCounts::Clock::time_point now) const {
    if (counts_.submitted == 0) return false;
    if (always_ || counts_.submitted > threshold) return true;
    // A few long tasks: lines once the farm has run one interval with some unfinished.
    return now - counts_.started >= start_after_ && counts_.unfinished() > 0;
}

void ProgressReport::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, interval_);
        if (stopping_ || !due(TaskCounts::Clock::now())) continue;
        // Tasks under way: a line each interval, even when none finished (long tasks: the log
        // shows the job lives). All finished and said: an idle client stays quiet.
        auto finished = counts_.finished();
        if (finished == last_printed_ && counts_.unfinished() == 0) continue;
        print(counts_.unfinished() == 0);
        last_printed_ = finished;
    }
}

void ProgressReport::print(bool final_line) {
    auto total = counts_.submitted.load(), done = counts_.done.load(), failed = counts_.failed.load();
    auto cancelled = counts_.cancelled.load(), resumed = counts_.from_journal.load();
    auto finished = done + failed + cancelled;
    auto left = total > finished ? total - finished : 0;
    auto now = TaskCounts::Clock::now();
    double elapsed = std::chrono::duration<double>(now - counts_.started).count();
    double rate = counts_.rate(now);
    std::string line = std::to_string(done) + "/" + std::to_string(total) + " done" +
                       (resumed ? " (" + std::to_string(resumed) + " from the journal)" : "") + ", " +
                       std::to_string(left) + " running, " + std::to_string(failed) + " failed, " +
                       (cancelled ? std::to_string(cancelled) + " cancelled, " : "") + rate_text(rate) + " tasks/s";
    line += final_line ? ", " + duration_text(elapsed) + " elapsed"
                       : ", ETA " + (rate > 0 ? duration_text(double(left) / rate) : std::string("?"));
    if (!terminal_) {
        log_line("progress: " + line);
        return;
    }
    constexpr int width = 30;
    int filled = total ? int(double(finished) / double(total) * width) : 0;
    std::string bar = "\r[" + std::string(std::size_t(filled), '#') + std::string(std::size_t(width - filled), '.') +
                      "] " + line + (final_line ? "\n" : "   ");
    write_terminal(bar.data(), bar.size());  // a redrawn bar is for the terminal only, never a log file
}

bool progress_on_terminal() {
    if (::isatty(STDERR_FILENO) == 1) return true;
    // Under a launcher: this process has a controlling terminal (field 7 of /proc/self/stat,
    // tty_nr, is not 0) and its parent, the launcher (mpirun runs the ranks of its own host),
    // writes its stderr to a terminal. Redirected (mpirun ... 2> log), or a batch job: lines.
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    auto close = text.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    long parent = 0, group = 0, session = 0, tty = 0;
    fields >> state >> parent >> group >> session >> tty;
    if (!fields || tty == 0 || parent <= 1) return false;
    std::error_code error;
    auto target = std::filesystem::read_symlink("/proc/" + std::to_string(parent) + "/fd/2", error).string();
    return !error && (target.rfind("/dev/pts/", 0) == 0 || target.rfind("/dev/tty", 0) == 0);
}

}  // namespace taskfarm::detail
