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
// (unless something else had initialised MPI first).
class MpiSession {
public:
    MpiSession(int& argc, char**& argv);
    int rank() const { return world_.rank(); }
    int size() const { return world_.size(); }
    const boost::mpi::communicator& world() const { return world_; }
    // Blocking collective; call it before any Transport runs.
    std::vector<std::uint64_t> all_gather(std::uint64_t value) const;
    std::vector<std::string> all_gather(const std::string& value) const;

private:
    boost::mpi::environment environment_;
    boost::mpi::communicator world_;
};

// Ends every rank of the job at once with this status. Safe from any thread.
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
    // Blocks until the progress thread has ended; after that MPI may be finalised.
    void join();

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
    struct Pending;
    std::vector<std::unique_ptr<Pending>> sends_;  // progress thread only
    Bytes receive_buffer_;                         // progress thread only
    std::thread thread_;
};

}  // namespace taskfarm::detail
