#include "mpi_transport.hpp"

#include "identity.hpp"
#include "log.hpp"

#include <boost/mpi/collectives/all_gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/mpi/request.hpp>
#include <boost/mpi/status.hpp>
#include <mpi.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <optional>
#include <cstdio>
#include <cstdlib>

namespace taskfarm::detail {
namespace {

constexpr int frame_tag = 7;
constexpr int attachment_tag = 8;
// MPI counts are ints: an attachment travels in pieces of at most this many bytes.
constexpr std::size_t attachment_piece = std::size_t(1) << 30;

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv)
    : environment_(argc, argv, boost::mpi::threading::serialized, /*abort_on_exception=*/false) {
    if (environment_.thread_level() < boost::mpi::threading::serialized)
        throw std::runtime_error("taskfarm: the MPI library does not support MPI_THREAD_SERIALIZED");
}

MpiSession::~MpiSession() {
    if (ending_together_ || world_.size() == 1 || !mpi_active()) return;  // the environment finalises
    log_line(std::string("this rank is leaving before the farm ended") +
             (std::uncaught_exceptions() > 0 ? " (an exception is being thrown)" : "") +
             "; ending the job so that no rank waits for it");
    abort_job(1);
}

std::vector<std::string> MpiSession::all_gather(const std::string& value) const {
    std::vector<std::string> values;
    boost::mpi::all_gather(world_, value, values);
    return values;
}

std::vector<std::uint64_t> MpiSession::all_gather(std::uint64_t value) const {
    std::vector<std::uint64_t> values;
    boost::mpi::all_gather(world_, value, values);
    return values;
}

struct MpiTransport::Pending {
    Frame frame;
    std::vector<boost::mpi::request> requests;  // head, then every attachment piece
};

MpiTransport::MpiTransport(const boost::mpi::communicator& world)
    : world_(world, boost::mpi::comm_duplicate),
      rank_(world_.rank()),
      size_(world_.size()),
      outboxes_(static_cast<std::size_t>(size_)) {}

void MpiTransport::start(Handler handler, std::function<void()> after_frame) {
    handler_ = std::move(handler);
    after_frame_ = std::move(after_frame);
    set_failure_announcer(this);
    thread_ = std::thread([this, &identity = current_identity()] {
        IdentityScope speaking_as(identity);
        progress_thread_ = std::this_thread::get_id();
        progress_loop();
        set_failure_announcer(nullptr);
    });
}

void MpiTransport::announce_failure(int status) {
    if (std::this_thread::get_id() == progress_thread_.load()) return send_failure(status);
    failure_to_announce_ = status;
    {
        std::lock_guard lock(mutex_);
        wake_requested_ = true;
    }
    wake_.notify_one();
    // The progress thread sends it on its next turn; it may be stuck, so wait only a moment.
    auto deadline = Clock::now() + std::chrono::milliseconds(200);
    while (!failure_announced_ && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Progress thread only. Tiny messages leave at once (eager); wait at most 100 ms for them.
void MpiTransport::send_failure(int status) {
    if (failure_announced_.exchange(true)) return;
    std::vector<Frame> frames;
    std::vector<boost::mpi::request> requests;
    frames.reserve(static_cast<std::size_t>(size_));
    for (int destination = 0; destination < size_; ++destination) {
        if (destination == rank_) continue;
        auto& frame = frames.emplace_back();
        encode(Failed{status}, frame);
        seal(frame);
        requests.push_back(world_.isend(destination, frame_tag, frame.head.data(), static_cast<int>(frame.head.size())));
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(100);
    while (!requests.empty() && Clock::now() < deadline)
        std::erase_if(requests, [](auto& request) { return request.test().has_value(); });
}

MpiTransport::~MpiTransport() { join(); }

void MpiTransport::post(int destination, Message message) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (finish_requested_) return;
        encode(std::move(message), outboxes_[static_cast<std::size_t>(destination)]);
        has_outgoing_ = true;
        // A burst of posts wakes a sleeping progress thread once, not once per message.
        wake = !wake_requested_;
        wake_requested_ = true;
    }
    if (wake) wake_.notify_one();
}

void MpiTransport::finish() {
    {
        std::lock_guard lock(mutex_);
        finish_requested_ = true;
        wake_requested_ = true;
    }
    wake_.notify_one();
}

void MpiTransport::join() {
    if (thread_.joinable()) thread_.join();
}

void MpiTransport::progress_loop() {
    // Sleeps below are short; the default 50 µs timer slack would dominate them.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    bool finishing = false;
    bool barrier_started = false;
    MPI_Request barrier = MPI_REQUEST_NULL;
    unsigned idle_rounds = 0;
    try {
        for (;;) {
            // A rank that fails tells every other rank before the launcher signals them for
            // it: what has arrived is read before a stop signal is taken as news of its own.
            turn_hooks([&] { receive_all(!finishing); }, idle_rounds);
            if (int status = failure_to_announce_.load(); status >= 0) send_failure(status);
            bool active = receive_all(!finishing);
            active |= flush_outboxes();
            active |= complete_sends();
            if (!finishing) {
                std::lock_guard lock(mutex_);
                finishing = finish_requested_;
            }
            // Finishing: once our own sends are delivered, join a non-blocking barrier while
            // still draining what others send us. When it completes, every rank's sends have
            // been delivered and MPI can be finalised without anyone waiting on anyone.
            if (finishing && !barrier_started && sends_.empty()) {
                std::lock_guard lock(mutex_);
                if (!has_outgoing_) {
                    MPI_Ibarrier(MPI_Comm(world_), &barrier);
                    barrier_started = true;
                }
            }
            if (barrier_started) {
                int done = 0;
                MPI_Test(&barrier, &done, MPI_STATUS_IGNORE);
                if (done) {
                    ended_together_ = true;
                    return;
                }
            }
            idle_rounds = active ? 0 : idle_rounds + 1;
            // A large send moves only while this thread calls into MPI: never sleep on one.
            if (!active && !sends_.empty()) idle_rounds = std::min(idle_rounds, idle_yield_rounds - 1);
            if (!active) idle(idle_rounds);
        }
    } catch (const ProtocolError& e) {
        fatal(std::string("protocol error: ") + e.what());
    } catch (...) {
        auto error = describe_current_exception();
        fatal("the progress thread failed: " + error.type_name + ": " + error.message);
    }
}

bool MpiTransport::receive_all(bool deliver) {
    bool any = false;
    while (auto status = world_.iprobe(boost::mpi::any_source, frame_tag)) {
        int source = status->source();
        auto count = status->count<char>();
        receive_buffer_.resize(static_cast<std::size_t>(count.value_or(0)));
        world_.recv(source, frame_tag, receive_buffer_.data(), static_cast<int>(receive_buffer_.size()));
        any = true;
        try {
            auto attachments = receive_attachments(source, receive_buffer_);
            // Finishing, a rank drops what arrives, except the news that another rank failed.
            decode_frame(receive_buffer_, std::move(attachments), [&](Message&& message) {
                if (auto* failed = std::get_if<Failed>(&message)) note_job_failed(failed->status);
                else if (deliver) handler_(source, std::move(message));
            });
            if (deliver && after_frame_) after_frame_();
        } catch (const ProtocolError& e) {
            throw ProtocolError(std::string(e.what()) + " in a frame from rank " + std::to_string(source));
        }
    }
    return any;
}

// The sender posted every piece right after the head, so these receives complete promptly;
// MPI keeps progressing our own sends meanwhile.
std::vector<Bytes> MpiTransport::receive_attachments(int source, std::span<const char> sealed_head) {
    std::vector<Bytes> attachments;
    for (auto size : read_attachment_table(sealed_head).sizes) {
        Bytes& attachment = attachments.emplace_back(static_cast<std::size_t>(size));
        for (std::size_t offset = 0; offset < attachment.size(); offset += attachment_piece) {
            auto piece = std::min(attachment_piece, attachment.size() - offset);
            world_.recv(source, attachment_tag, attachment.data() + offset, static_cast<int>(piece));
        }
    }
    return attachments;
}

bool MpiTransport::flush_outboxes() {
    std::vector<std::pair<int, Frame>> frames;
    {
        std::lock_guard lock(mutex_);
        if (!has_outgoing_) return false;
        for (int destination = 0; destination < size_; ++destination) {
            auto& outbox = outboxes_[static_cast<std::size_t>(destination)];
            if (!outbox.head.empty()) frames.emplace_back(destination, std::exchange(outbox, {}));
        }
        has_outgoing_ = false;
    }
    for (auto& [destination, frame] : frames) {
        seal(frame);
        if (frame.head.size() > static_cast<std::size_t>(INT_MAX))
            throw std::runtime_error("a frame head of " + std::to_string(frame.head.size()) +
                                     " bytes is over MPI's 2 GiB count limit");
        auto pending = std::make_unique<Pending>();
        pending->frame = std::move(frame);
        auto& head = pending->frame.head;
        pending->requests.push_back(world_.isend(destination, frame_tag, head.data(), static_cast<int>(head.size())));
        for (auto& attachment : pending->frame.attachments) {
            for (std::size_t offset = 0; offset < attachment.size(); offset += attachment_piece) {
                auto piece = std::min(attachment_piece, attachment.size() - offset);
                pending->requests.push_back(
                    world_.isend(destination, attachment_tag, attachment.data() + offset, static_cast<int>(piece)));
            }
        }
        sends_.push_back(std::move(pending));
        frames_sent_.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

bool MpiTransport::complete_sends() {
    auto before = sends_.size();
    std::erase_if(sends_, [](auto& pending) {
        std::erase_if(pending->requests, [](auto& request) { return request.test().has_value(); });
        return pending->requests.empty();
    });
    return sends_.size() != before;
}

void MpiTransport::idle(unsigned rounds) {
    auto sleep = idle_step(rounds);
    if (sleep.count() == 0) return;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, sleep, [this] { return wake_requested_; });
    wake_requested_ = false;
}

}  // namespace taskfarm::detail
