#include "progress.hpp"

#include "log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
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

ProgressReport::ProgressReport(bool always, std::chrono::duration<double> interval)
    : always_(always), terminal_(::isatty(STDERR_FILENO) == 1), interval_(interval) {
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
    auto total = total_.load(), finished = done_.load() + failed_.load();
    if (total > 0 && (always_ || total > threshold) && finished != last_printed_) print(finished >= total);
}

void ProgressReport::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, interval_);
        auto total = total_.load();
        if (total == 0 || (!always_ && total <= threshold)) continue;
        auto finished = done_.load() + failed_.load();
        if (finished == last_printed_) continue;  // nothing new: a quiet farm stays quiet
        print(finished >= total);
        last_printed_ = finished;
    }
}

void ProgressReport::print(bool final_line) {
    auto total = total_.load(), done = done_.load(), failed = failed_.load(), resumed = resumed_.load();
    auto finished = done + failed;
    auto running = total > finished ? total - finished : 0;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    double rate = elapsed > 0 ? double(finished - std::min(resumed, finished)) / elapsed : 0;
    std::string counts = std::to_string(done) + "/" + std::to_string(total) + " done" +
                         (resumed ? " (" + std::to_string(resumed) + " from the journal)" : "") + ", " +
                         std::to_string(running) + " running, " + std::to_string(failed) + " failed, " +
                         rate_text(rate) + " tasks/s";
    counts += final_line ? ", " + duration_text(elapsed) + " elapsed"
                         : ", ETA " + (rate > 0 ? duration_text(double(running) / rate) : std::string("?"));
    if (!terminal_) {
        log_line("progress: " + counts);
        return;
    }
    constexpr int width = 30;
    int filled = total ? int(double(finished) / double(total) * width) : 0;
    std::string bar = "\r[" + std::string(std::size_t(filled), '#') + std::string(std::size_t(width - filled), '.') +
                      "] " + counts + (final_line ? "\n" : "   ");
    write_terminal(bar.data(), bar.size());  // a redrawn bar is for the terminal only, never a log file
}

}  // namespace taskfarm::detail
