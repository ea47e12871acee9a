#pragma once
// The transport under a launcher, and the only code (with MpiSession) that calls MPI. One
// progress thread per rank owns every MPI call; other threads hand it messages through
// per-destination outboxes, and it hands incoming messages to the role's handler.
// Messages posted to one destination between two turns of the loop leave as one MPI
// message (a frame), which is how tiny tasks get batched.

#include "ending.hpp"
#include "transport.hpp"
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

class MpiTransport final : public Transport, public FailureAnnouncer {
public:
    // Collective: every rank makes its transport at the same point of start-up.
    explicit MpiTransport(const boost::mpi::communicator& world);
    ~MpiTransport() override;
    MpiTransport(const MpiTransport&) = delete;
    MpiTransport& operator=(const MpiTransport&) = delete;

    using Transport::start;
    void start(Handler handler, std::function<void()> after_frame) override;
    void post(int destination, Message message) override;
    void finish() override;
    void join() override;
    // Every rank got to the shutdown barrier, so every rank may finalise MPI.
    bool ended_together() const override { return ended_together_.load(); }
    // Tells every other rank (Failed), waiting a moment for the messages to leave.
    void announce_failure(int status) override;

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::size_t frames_sent() const override { return frames_sent_.load(std::memory_order_relaxed); }

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
