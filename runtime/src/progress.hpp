#pragma once
// Progress of the client's tasks on stderr: a bar redrawn in place when stderr is a
// terminal, else (a batch log) one status line every interval. Counts are per element: a
// chunk of a map counts as its elements.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace taskfarm::detail {

class ProgressReport {
public:
    // always: report as soon as there are tasks; otherwise once more than `threshold` tasks
    // have been submitted.
    ProgressReport(bool always, std::chrono::duration<double> interval);
    ~ProgressReport();
    ProgressReport(const ProgressReport&) = delete;
    ProgressReport& operator=(const ProgressReport&) = delete;

    void submitted(std::uint64_t tasks) { total_ += tasks; }
    // from_journal: recorded by an earlier run. Such tasks took no time here, so the rate and
    // the ETA leave the done ones out, and the status line counts them apart.
    void finished(std::uint64_t done, std::uint64_t failed, bool from_journal = false) {
        done_ += done;
        failed_ += failed;
        if (from_journal) resumed_ += done;
    }

    static constexpr std::uint64_t threshold = 1000;

private:
    void run();
    void print(bool final_line);

    bool always_;
    bool terminal_;
    std::chrono::duration<double> interval_;
    std::atomic<std::uint64_t> total_{0}, done_{0}, failed_{0}, resumed_{0};
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::uint64_t last_printed_ = ~std::uint64_t(0);  // done + failed at the last line
    bool stopping_ = false;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace taskfarm::detail
