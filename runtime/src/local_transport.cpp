#include "local_transport.hpp"

#include "identity.hpp"
#include "log.hpp"

#include <sys/prctl.h>

#include <algorithm>

namespace taskfarm::detail {

LocalHub::LocalHub(int size) : size_(size), endpoints_(static_cast<std::size_t>(size), nullptr) {}

std::vector<std::unique_ptr<LocalTransport>> LocalHub::make_endpoints() {
    // Every endpoint exists before any of them can post.
    std::vector<std::unique_ptr<LocalTransport>> endpoints;
    auto self = shared_from_this();
    for (int rank = 0; rank < size_; ++rank) {
        endpoints.push_back(std::make_unique<LocalTransport>(self, rank));
        endpoints_[static_cast<std::size_t>(rank)] = endpoints.back().get();
    }
    return endpoints;
}

void LocalHub::arrive() {
    if (arrived_.fetch_add(1) + 1 < size_) return;
    for (auto* endpoint : endpoints_) endpoint->wake();  // the last one: every rank may end now
    everyone_woken_ = true;
}

LocalTransport::LocalTransport(std::shared_ptr<LocalHub> hub, int rank)
    : hub_(std::move(hub)),
      rank_(rank),
      inbox_(static_cast<std::size_t>(hub_->size())),
      arrived_(static_cast<std::size_t>(hub_->size())) {}

LocalTransport::~LocalTransport() { join(); }

void LocalTransport::start(Handler handler, std::function<void()> after_frame) {
    handler_ = std::move(handler);
    after_frame_ = std::move(after_frame);
    thread_ = std::thread([this, &identity = current_identity()] {
        IdentityScope speaking_as(identity);
        progress_loop();
    });
}

void LocalTransport::post(int destination, Message message) {
    std::lock_guard posting(post_mutex_);
    if (finish_requested_.load()) return;
    auto& to = *hub_->endpoints_[static_cast<std::size_t>(destination)];
    {
        std::lock_guard lock(to.inbox_mutex_);
        auto& frame = to.inbox_[static_cast<std::size_t>(rank_)];
        if (frame.head.empty()) frames_sent_.fetch_add(1, std::memory_order_relaxed);  // a new frame begins
        encode(std::move(message), frame);
        to.mail_.store(true, std::memory_order_release);
    }
}

void LocalTransport::finish() {
    {
        std::lock_guard posting(post_mutex_);
        finish_requested_ = true;
    }
    wake();
}

void LocalTransport::wake() {
    {
        std::lock_guard lock(inbox_mutex_);
        wake_requested_ = true;
    }
    wake_.notify_one();
}

void LocalTransport::join() {
    if (thread_.joinable()) thread_.join();
}

bool LocalTransport::take_arrivals(bool deliver) {
    if (!mail_.load(std::memory_order_acquire)) return false;
    auto& frames = arrived_;  // the inbox's twin, swapped in: no allocation per turn
    {
        std::lock_guard lock(inbox_mutex_);
        mail_.store(false, std::memory_order_relaxed);
        frames.swap(inbox_);
    }
    for (std::size_t source = 0; source < frames.size(); ++source) {
        auto& frame = frames[source];
        if (frame.head.empty()) continue;
        if (!deliver) continue;  // finishing: what arrives is dropped, as under MPI
        seal(frame);
        try {
            decode_frame(frame.head, std::move(frame.attachments),
                         [&](Message&& message) { handler_(static_cast<int>(source), std::move(message)); });
        } catch (const ProtocolError& e) {
            throw ProtocolError(std::string(e.what()) + " in a frame from rank " + std::to_string(source));
        }
        if (after_frame_) after_frame_();
    }
    for (auto& frame : frames) frame = {};
    return true;
}

void LocalTransport::idle(unsigned rounds, Clock::time_point next_tick) {
    auto sleep = idle_step(rounds);
    if (sleep.count() == 0) return;
    std::unique_lock lock(inbox_mutex_);
    wake_.wait_until(lock, std::min(next_tick, Clock::now() + sleep), [this] { return wake_requested_; });
    wake_requested_ = false;
}

void LocalTransport::progress_loop() {
    // Sleeps below are short; the default 50 µs timer slack would dominate them.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    bool finishing = false;
    unsigned idle_rounds = 0;
    try {
        for (;;) {
            auto next_tick = turn_hooks([&] { take_arrivals(!finishing); }, idle_rounds);
            bool active = take_arrivals(!finishing);
            if (!finishing && finish_requested_.load()) {
                finishing = true;  // every post of this rank is in its destination's inbox already
                hub_->arrive();
            }
            if (finishing && hub_->all_arrived()) {
                ended_together_ = true;
                return;
            }
            idle_rounds = active ? 0 : idle_rounds + 1;
            if (!active) idle(idle_rounds, next_tick);
        }
    } catch (const ProtocolError& e) {
        fatal(std::string("protocol error: ") + e.what());
    } catch (...) {
        auto error = describe_current_exception();
        fatal("the progress thread failed: " + error.type_name + ": " + error.message);
    }
}

}  // namespace taskfarm::detail
