#pragma once
// The client's side of the farm: task states, and the messages that resolve them.

#include "transport.hpp"
#include "wire.hpp"

#include <taskfarm/client.hpp>
#include <taskfarm/wait.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>

namespace taskfarm::detail {

enum class TaskStatus { pending, value, held, error, cancelled };

// Indices of watched tasks, in the order they finished. Guarded by the core's mutex.
class CompletionQueue {
public:
    std::shared_ptr<ClientCore> core;
    std::deque<std::size_t> done;
};

struct TaskState {
    std::shared_ptr<ClientCore> core;
    TaskId id = 0;
    // Guarded by core->mutex_.
    TaskStatus status = TaskStatus::pending;
    Bytes payload;  // the result (value), or the encoded TaskFailure (error)
    int holder = -1;
    bool fetch_requested = false;
    bool fetched = false;
    std::vector<std::pair<std::shared_ptr<CompletionQueue>, std::size_t>> watchers;

    ~TaskState();
};

class ClientCore : public std::enable_shared_from_this<ClientCore> {
public:
    // Without a transport, tasks run inline as they are submitted.
    ClientCore(std::shared_ptr<MpiSession> session, std::unique_ptr<Transport> transport);

    std::shared_ptr<TaskState> submit(const TaskCode& code, Bytes args);
    void wait(TaskState& task);
    bool ready(TaskState& task);
    void cancel(TaskState& task);
    std::span<const char> result_bytes(TaskState& task);
    void prefetch(TaskState& task);
    void forget(TaskState& task);
    std::shared_ptr<CompletionQueue> watch(std::span<TaskState* const> tasks);
    std::size_t next_completed(CompletionQueue& queue);

    // Ends the farm with this exit status on every rank, then finalises MPI. Idempotent.
    void shutdown(int status);
    int workers() const { return workers_; }
    std::size_t frames_sent() const { return transport_ ? transport_->frames_sent() : 0; }

private:
    void on_message(int source, Message&& message);
    // The next four need mutex_ held.
    void request_fetch(TaskState& task);
    void complete(TaskState& task, TaskStatus status, Bytes payload);
    void wait_locked(std::unique_lock<std::mutex>& lock, TaskState& task, bool need_payload);
    void throw_if_closed() const;

    std::shared_ptr<MpiSession> session_;
    std::unique_ptr<Transport> transport_;
    int workers_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::unordered_map<TaskId, TaskState*> live_;  // tasks with a Future, by id
    TaskId next_id_ = 1;
    bool closed_ = false;
};

struct ClientAccess {
    static Client make(std::shared_ptr<ClientCore> core) { return Client(std::move(core)); }
    static ClientCore& core(Client& client) { return *client.core_; }
};

}  // namespace taskfarm::detail
