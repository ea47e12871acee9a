#pragma once
// The transport of the local farm: every rank is a role on threads of this one process.
// A post encodes the message straight into the destination's inbox, in the same wire
// encoding the MPI transport sends (large byte strings are moved into the frame's
// attachments, never copied); the destination's progress thread takes everything that
// came from one sender since its last turn as one frame. A post does not wake the
// destination: like the MPI transport's progress thread, each one looks for mail in its own
// rhythm, spinning a moment after traffic, then yielding, then sleeping in growing steps up
// to 10 ms (or its next tick). Busy ranks so take many messages per turn instead of being
// woken for each (a wake-up per message costs a context switch on the cores the tasks
// use), and an idle rank costs next to no CPU. finish, and the last rank's arrival at the
// end, do wake every rank.

#include "transport.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace taskfarm::detail {

class LocalTransport;

// The ranks of one local farm; made with std::make_shared. Every endpoint must outlive the
// progress threads of all the others: a farm destroys them once every progress thread has
// ended (after the shutdown no rank posts any more).
class LocalHub : public std::enable_shared_from_this<LocalHub> {
public:
    explicit LocalHub(int size);
    int size() const { return size_; }
    // The transport of each rank, made once.
    std::vector<std::unique_ptr<LocalTransport>> make_endpoints();

private:
    friend class LocalTransport;
    void arrive();  // one more rank has finished
    // Set by the last rank to arrive once it has woken every other: no rank ends (and is
    // destroyed) while that rank may still touch it.
    bool all_arrived() const { return everyone_woken_.load(); }

    int size_;
    std::vector<LocalTransport*> endpoints_;
    std::atomic<int> arrived_{0};
    std::atomic<bool> everyone_woken_{false};
};

class LocalTransport final : public Transport {
public:
    LocalTransport(std::shared_ptr<LocalHub> hub, int rank);
    ~LocalTransport() override;
    LocalTransport(const LocalTransport&) = delete;
    LocalTransport& operator=(const LocalTransport&) = delete;

    using Transport::start;
    void start(Handler handler, std::function<void()> after_frame) override;
    void post(int destination, Message message) override;
    void finish() override;
    void join() override;
    bool ended_together() const override { return ended_together_.load(); }

    int rank() const override { return rank_; }
    int size() const override { return hub_->size(); }
    std::size_t frames_sent() const override { return frames_sent_.load(std::memory_order_relaxed); }

private:
    friend class LocalHub;
    void progress_loop();
    // Decodes what has arrived and hands it to the handler (or drops it, once finishing).
    bool take_arrivals(bool deliver);
    void wake();
    // The back-off of an idle turn: rounds since the last traffic; sleeps end by next_tick.
    void idle(unsigned rounds, Clock::time_point next_tick);

    std::shared_ptr<LocalHub> hub_;
    int rank_;
    Handler handler_;
    std::function<void()> after_frame_;

    std::mutex post_mutex_;  // serialises this rank's posts with its finish
    std::atomic<bool> finish_requested_{false};

    std::mutex inbox_mutex_;  // guards the three members below; taken after a sender's post_mutex_
    std::condition_variable wake_;
    std::vector<Frame> inbox_;  // by sender: what it posted since this rank's last turn
    bool wake_requested_ = false;
    std::atomic<bool> mail_{false};  // inbox_ holds something: looked at without the lock
    std::vector<Frame> arrived_;     // progress thread only: what the last turn took out of inbox_

    std::atomic<std::size_t> frames_sent_{0};
    std::atomic<bool> ended_together_{false};
    std::thread thread_;
};

}  // namespace taskfarm::detail
