#pragma once
// The client's counts of its tasks (TaskCounts, for Client::stats and the progress line), and
// the progress of those tasks on stderr: a bar redrawn in place on a terminal, else (a batch
// log) one status line every interval. Counts are per element: a chunk of a map counts as its
// elements.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace taskfarm::detail {

// Written by the client under its mutex, read by the progress thread at any time.
struct TaskCounts {
    using Clock = std::chrono::steady_clock;
    std::atomic<std::uint64_t> submitted{0}, done{0}, failed{0}, cancelled{0};
    std::atomic<std::uint64_t> from_journal{0};  // of done: recorded by an earlier run
    Clock::time_point started = Clock::now();

    std::uint64_t finished() const { return done + failed + cancelled; }
    std::uint64_t unfinished() const {
        auto total = submitted.load(), ended = finished();
        return total > ended ? total - ended : 0;
    }
    // Tasks finished per second since the start, leaving out those the journal had (they took
    // no time here).
    double rate(Clock::time_point now) const;
};

class ProgressReport {
public:
    // always: report as soon as there are tasks; otherwise once more than `threshold` tasks
    // have been submitted, or once the farm has run one interval with tasks unfinished
    // (200 tasks of an hour each need status lines too). terminal: draw a bar in place.
    ProgressReport(const TaskCounts& counts, bool always, std::chrono::duration<double> interval, bool terminal);
    ~ProgressReport();
    ProgressReport(const ProgressReport&) = delete;
    ProgressReport& operator=(const ProgressReport&) = delete;

    static constexpr std::uint64_t threshold = 1000;

private:
    void run();
    bool due(TaskCounts::Clock::time_point now) const;
    void print(bool final_line);

    const TaskCounts& counts_;
    bool always_;
    bool terminal_;
    std::chrono::duration<double> interval_;       // between lines (a bar: redrawn every 200 ms)
    std::chrono::duration<double> start_after_;    // automatic: lines start after this long
    std::uint64_t last_printed_ = ~std::uint64_t(0);  // finished at the last line
    bool stopping_ = false;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

// Whether the progress can be drawn as a bar: stderr is a terminal, or this rank runs under a
// launcher that was started from one (mpirun turns the ranks' stderr into a pipe it copies
// to its own terminal; the rank still has that terminal as its controlling terminal, which
// a batch job's ranks never have). docs/hpc.md says how to choose.
bool progress_on_terminal();

}  // namespace taskfarm::detail
