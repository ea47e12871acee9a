#pragma once
// How the roles talk. Each role (scheduler, client, worker) holds one Transport: it posts
// messages to other ranks from any thread, and a progress thread of the transport's own
// hands it the messages that arrive. Two implementations: MpiTransport (mpi_transport.hpp),
// one rank per process under a launcher, and LocalTransport (local_transport.hpp), every
// role on threads of one process (the local farm). Both carry the same wire encoding, and
// both batch what is posted to one destination between two turns into one frame.

#include "stop_policy.hpp"
#include "wire.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

namespace taskfarm::detail {

class Transport {
public:
    // Called on the progress thread for every message that arrives, in arrival order per sender.
    using Handler = std::function<void(int source, Message&& message)>;
    using Clock = std::chrono::steady_clock;

    virtual ~Transport() = default;

    // Starts the progress thread, which from now on calls handler for each incoming message,
    // and after_frame (if given) once after the messages of each incoming frame. The
    // progress thread speaks with the identity of the thread that calls start.
    virtual void start(Handler handler, std::function<void()> after_frame) = 0;
    void start(Handler handler) { start(std::move(handler), {}); }
    // Called on the progress thread when a stop signal arrives (signals.hpp, StopPolicy);
    // the job ends a moment later, after what is already in flight has been delivered.
    // Set before start.
    void on_stop_signal(std::function<void()> hook) { on_stop_signal_ = std::move(hook); }
    // Called on the progress thread just before a stop signal ends this rank (after the
    // grace of StopPolicy): last words, such as the client's report. Set before start.
    void on_leave(std::function<void()> hook) { on_leave_ = std::move(hook); }
    // Called on the progress thread about every `interval` (never more often; a sleeping
    // progress thread wakes for it), with the current time: liveness checks and timers.
    // Set before start.
    void every(Clock::duration interval, std::function<void(Clock::time_point)> tick) {
        tick_interval_ = interval;
        tick_ = std::move(tick);
    }
    // Thread-safe. Encodes the message into the destination's outbox and wakes the progress
    // thread. Large byte strings in the message are moved, not copied.
    virtual void post(int destination, Message message) = 0;
    // Thread-safe. The role is done: what was posted is still delivered, later posts are
    // dropped and incoming messages discarded. Once every rank has finished and every send
    // has been delivered, the progress thread ends.
    virtual void finish() = 0;
    // Blocks until the progress thread has ended.
    virtual void join() = 0;
    // The progress thread ended at the shutdown barrier: every rank got there.
    virtual bool ended_together() const = 0;

    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Frames (messages that carry messages) this rank has sent so far.
    virtual std::size_t frames_sent() const = 0;

    // The idle back-off both progress threads use: after `rounds` turns without traffic,
    // spin (return 0) while traffic is likely, then yield, then sleep in steps growing from
    // 20 µs to 10 ms, so that an idle rank costs next to no CPU even when ranks outnumber
    // cores. Returns how long to sleep (after yielding itself in the yield phase).
    static std::chrono::microseconds idle_step(unsigned rounds);
    static constexpr unsigned idle_spin_rounds = 64;
    static constexpr unsigned idle_yield_rounds = 128;  // rounds below this never sleep

protected:
    // On the progress thread, at the start of each turn: the tick when it is due, and the
    // stop-signal policy. read_arrivals is called before a stop signal is first taken as
    // news (StopPolicy::stopping). idle_rounds: turns since the last traffic. Returns when
    // the next tick is due, for a progress thread that wants to sleep.
    Clock::time_point turn_hooks(const std::function<void()>& read_arrivals, unsigned idle_rounds);

private:
    std::function<void()> on_stop_signal_;
    std::function<void()> on_leave_;
    Clock::duration tick_interval_{};
    std::function<void(Clock::time_point)> tick_;
    Clock::time_point next_tick_{};
    unsigned turns_ = 0;
    StopPolicy stop_policy_;
};

}  // namespace taskfarm::detail
