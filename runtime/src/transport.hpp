#pragma once
// The only code that calls MPI. One progress thread per rank owns every MPI call; other
// threads hand it messages through per-destination outboxes, and it hands incoming
// messages to the role's handler. Messages posted to one destination between two turns
// of the loop leave as one MPI message (a frame), which is how tiny tasks get batched.

#include "wire.hpp"

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

namespace taskfarm::detail {

// MPI's lifetime in this process: initialised by the constructor, finalised by the destructor
// (unless something else had initialised MPI first). MPI_Finalize waits for every rank, so
// finalising is safe only where every rank finalises too: once start-up agreed that the job
// ends, or once the farm's shutdown barrier completed (mark_ending_together). A session
// destroyed before that (an exception from a constructor, a return on one rank only) would
// hang; its destructor ends the whole job instead, with a line saying so.
class MpiSession {
public:
    MpiSession(int& argc, char**& argv);
    ~MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    void mark_ending_together() { ending_together_ = true; }
    int rank() const { return world_.rank(); }
    int size() const { return world_.size(); }
    const boost::mpi::communicator& world() const { return world_; }
    // Blocking collective; call it before any Transport runs.
    std::vector<std::uint64_t> all_gather(std::uint64_t value) const;
    std::vector<std::string> all_gather(const std::string& value) const;

private:
    boost::mpi::environment environment_;
    boost::mpi::communicator world_;
    bool ending_together_ = false;
};

// Ends every rank of the job at once with this status. Safe from any thread. While a farm
// runs, every other rank is told first (Failed), so that the signal the launcher then sends
// them is not reported as news of its own.
[[noreturn]] void abort_job(int status);

class Transport {
public:
    // Called on the progress thread for every message that arrives, in arrival order per sender.
    using Handler = std::function<void(int source, Message&& message)>;

    // Collective: every rank makes its Transport at the same point of start-up.
    explicit Transport(const boost::mpi::communicator& world);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Starts the progress thread, which from now on calls handler for each incoming message,
    // and after_frame (if given) once after the messages of each incoming frame.
    void start(Handler handler, std::function<void()> after_frame = {});
    // Called on the progress thread when a stop signal arrives (signals.hpp); the job ends
    // a moment later, after what is already in flight has been delivered. Set before start.
    void on_stop_signal(std::function<void()> hook) { on_stop_signal_ = std::move(hook); }
    // Called on the progress thread about every `interval` (never more often; a sleeping
    // progress thread wakes for it), with the current time: liveness checks and timers.
    // Set before start.
    using Clock = std::chrono::steady_clock;
    void every(Clock::duration interval, std::function<void(Clock::time_point)> tick) {
        tick_interval_ = interval;
        tick_ = std::move(tick);
    }
    // Thread-safe. Encodes the message into the destination's outbox and wakes the progress
    // thread. Large byte strings in the message are moved into the outbox, not copied.
    void post(int destination, Message message);
    // Thread-safe. The role is done: what was posted is still delivered, later posts are
    // dropped and incoming messages discarded. Once every rank has finished and every send
    // has been delivered, the progress thread ends.
    void finish();
    // Blocks until the progress thread has ended.
    void join();
    // The progress thread ended at the shutdown barrier: every rank got there, so every rank
    // may finalise MPI.
    bool ended_together() const { return ended_together_.load(); }
    // On any thread, just before the job is aborted: tells every other rank, waiting a moment
    // for the messages to leave.
    void announce_failure(int status);

    int rank() const { return rank_; }
    int size() const { return size_; }
    // Frames (MPI messages that carry messages) this rank has sent so far.
    std::size_t frames_sent() const { return frames_sent_.load(std::memory_order_relaxed); }

private:
    void progress_loop();
    bool receive_all(bool deliver);
    std::vector<Bytes> receive_attachments(int source, std::span<const char> sealed_head);
    bool flush_outboxes();
    bool complete_sends();
    void idle(unsigned rounds);

    boost::mpi::communicator world_;
    Handler handler_;
    std::function<void()> after_frame_;
    std::function<void()> on_stop_signal_;
    Clock::duration tick_interval_{};
    std::function<void(Clock::time_point)> tick_;
    int rank_;
    int size_;

    std::mutex mutex_;  // guards the four members below
    std::condition_variable wake_;
    std::vector<Frame> outboxes_;
    bool has_outgoing_ = false;
    bool finish_requested_ = false;
    bool wake_requested_ = false;  // set by post and finish so a sleeping progress thread wakes

    std::atomic<std::size_t> frames_sent_{0};
    std::atomic<bool> ended_together_{false};
    std::atomic<int> failure_to_announce_{-1};  // a status, set by announce_failure off the progress thread
    std::atomic<bool> failure_announced_{false};
    std::atomic<std::thread::id> progress_thread_{};  // set by the progress thread itself
    void send_failure(int status);
    struct Pending;
    std::vector<std::unique_ptr<Pending>> sends_;  // progress thread only
    Bytes receive_buffer_;                         // progress thread only
    std::thread thread_;
};

}  // namespace taskfarm::detail
