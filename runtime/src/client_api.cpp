// The public Client and the free functions the public headers declare (submit, wait, the lazy
// maps' cut...), each a thin call into the farm's ClientCore (client.cpp).
#include "client_core.hpp"

#include "log.hpp"

#include <algorithm>
#include <exception>
#include <optional>

namespace taskfarm {

Client::Client(std::shared_ptr<detail::ClientCore> core) : core_(std::move(core)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&& other) noexcept {
    if (this != &other) {
        if (core_) core_->shutdown(0);
        core_ = std::move(other.core_);
    }
    return *this;
}
Client::~Client() {
    // Destroyed by an exception on its way out: the farm ends without waiting for tasks left
    // to run by fire_and_forget, which could hold the exception up for hours.
    if (core_) core_->shutdown(0, std::uncaught_exceptions() > 0);
}

Stats Client::stats() const { return core_->stats(); }

int Client::workers() const { return core_->workers(); }

void Client::prefetch_one(detail::TaskState& task) { core_->prefetch(task); }

void Client::gather(const std::vector<Future<void>>& futures, OnError on_error) {
    for (const auto& future : futures) {
        try {
            future.get();
        } catch (const TaskError&) {
            if (on_error == OnError::raise) throw;
        } catch (const CancelledError&) {
            if (on_error == OnError::raise) throw;
        }
    }
}

namespace detail {
std::shared_ptr<TaskState> submit_task(ClientCore& core, const TaskCode& code, Bytes args, const TaskOptions& options,
                                       std::vector<std::shared_ptr<TaskState>> inputs, bool broadcast) {
    return core.submit(code, std::move(args), options, 0, std::move(inputs), broadcast);
}

std::vector<std::shared_ptr<TaskState>> submit_chunk(ClientCore& core, const TaskCode& code, Bytes args,
                                                     std::uint32_t count, const TaskOptions& options) {
    return core.submit_chunk(code, std::move(args), count, options);
}

std::size_t map_chunk(const ClientCore& core, std::size_t n) {
    // Chunks are for maps of many tiny tasks: below chunking_starts_at elements every element
    // is its own task, so long tasks and large results keep their own scheduling. Above it,
    // each worker still gets about 64 chunks, so the last ones balance the load.
    constexpr std::size_t chunking_starts_at = 10'000;
    constexpr std::size_t chunks_per_worker = 64;
    constexpr std::size_t largest_chunk = 1024;
    auto workers = static_cast<std::size_t>(core.workers());
    if (workers == 0 || n < chunking_starts_at) return 1;
    // A journal finds a chunk again only if the chunks are cut the same way in every run,
    // whatever the number of workers.
    if (core.journaling()) workers = 4;
    return std::clamp<std::size_t>(n / (workers * chunks_per_worker), 1, largest_chunk);
}

LazyMapCut lazy_map_cut(const ClientCore& core, std::optional<std::size_t> n, std::size_t in_flight) {
    // Tasks that keep every worker busy: 4 per executor thread (the scheduler's window needs a
    // few ahead); inline, one element at a time.
    auto slots = static_cast<std::size_t>(core.workers()) * static_cast<std::size_t>(core.options().threads_per_worker);
    auto busy = slots == 0 ? 1 : 4 * slots;
    // Cut as map cuts a sized input (an unsized one element by element).
    auto chunk = n ? map_chunk(core, *n) : 1;
    if (in_flight == 0) return {chunk, busy * chunk};
    // A bound set by hand still spreads over every worker, with smaller chunks; but with a
    // journal the chunks must be cut as in every other run, so the bound takes at least one.
    if (core.journaling()) return {chunk, std::max(in_flight, chunk)};
    return {std::clamp<std::size_t>(in_flight / busy, 1, chunk), in_flight};
}

void wait(TaskState& task) { task.core->wait(task); }
bool wait_until(TaskState& task, std::chrono::steady_clock::time_point deadline) {
    return task.core->wait_until(task, deadline);
}
bool failed(TaskState& task) { return task.core->failed(task); }
bool ready(TaskState& task) { return task.core->ready(task); }
bool cancelled(TaskState& task) { return task.core->cancelled(task); }
std::exception_ptr exception(TaskState& task) { return task.core->exception(task); }
void keep_running(const std::shared_ptr<TaskState>& task) { task->core->keep_running(*task); }
void cancel(TaskState& task) { task.core->cancel(task); }
std::span<const char> result_bytes(TaskState& task) { return task.core->result_bytes(task); }
std::uint64_t task_id(const TaskState& task) { return task.id; }

void throw_undecodable_result(TaskState& task) {
    auto error = describe_current_exception();
    int holder = task.chunk ? task.chunk->holder : task.holder;
    throw TaskError(error.type_name, "the task's result could not be decoded: " + error.message,
                    holder < 0 ? own_rank() : holder, "", task.id, 1, TaskError::Cause::undecodable);
}

std::shared_ptr<CompletionQueue> watch(std::span<TaskState* const> tasks) {
    if (tasks.empty()) return std::make_shared<CompletionQueue>();
    return tasks.front()->core->watch(tasks);
}

void watch_more(const std::shared_ptr<CompletionQueue>& queue, TaskState& task, std::size_t index) {
    if (!queue->core) queue->core = task.core;
    else if (queue->core != task.core) throw UsageError("taskfarm: these futures belong to different farms");
    task.core->watch_more(queue, task, index);
}

std::size_t next_completed(CompletionQueue& queue) {
    if (!queue.core) throw UsageError("taskfarm: no futures to wait for");
    return queue.core->next_completed(queue);
}

std::optional<std::size_t> next_completed_until(CompletionQueue& queue, std::chrono::steady_clock::time_point deadline) {
    if (!queue.core) throw UsageError("taskfarm: no futures to wait for");
    return queue.core->next_completed_until(queue, deadline);
}
}  // namespace detail

}  // namespace taskfarm
