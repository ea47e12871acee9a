#pragma once
// What a rank does about a stop signal (SIGTERM or SIGUSR1 at a time limit, SIGINT on
// Ctrl-C: signals.hpp notes it). Pure: a transport asks it on every turn of its progress
// loop and does what it says. docs/faults.md "Stop signals".
//
// The first turn that sees the signal drains: the role starts no new tasks and what is
// finished keeps flowing (results on their way to the client's journal). A grace period
// later the rank leaves with status 128 + signal: every rank got the signal (the launcher
// sends it to all, or ends the others when one goes), so each leaves by itself, faster
// than MPI_Abort, which waits on the launcher. When another rank said it is ending the job
// (Failed), the signal is only the launcher ending this rank for it: the rank leaves at
// once, quietly, with that rank's status.

#include <chrono>
#include <optional>
#include <string>

namespace taskfarm::detail {

class StopPolicy {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr auto grace = std::chrono::milliseconds(300);

    enum class Step { carry_on, drain, leave };
    struct Decision {
        Step step = Step::carry_on;
        int status = 0;    // leave: the exit status
        std::string line;  // drain: what to log
    };

    // signal: the stop signal received (0: none); failed_status: another rank's Failed
    // status (-1: none).
    Decision on_turn(int signal, int failed_status, Clock::time_point now);
    // Whether a signal was seen already: before the first, a transport reads what has
    // arrived, so that another rank's Failed is known before the signal is taken as news.
    bool stopping() const { return stopping_since_.has_value(); }

private:
    std::optional<Clock::time_point> stopping_since_;
};

}  // namespace taskfarm::detail
