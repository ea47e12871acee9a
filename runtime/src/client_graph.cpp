// The client's side of task graphs: a task's Future arguments (its inputs), the tasks that
// need a task (cancelled with it), and what only the client holds for workers to fetch (a
// result from the journal, large arguments).
#include "client_core.hpp"

#include "failure.hpp"
#include "log.hpp"
#include "roles.hpp"

#include <utility>

namespace taskfarm::detail {

namespace {

// Where the outcome of element `element` (0: the whole task) of a done, uncancelled task
// lies: true and its result's bytes, or false and a failure record.
std::pair<bool, std::span<const char>> outcome_of(TaskState& source, std::uint32_t element,
                                                  std::vector<ElementResult>& elements) {
    if (source.status == TaskStatus::error) return {false, source.payload};
    if (element == 0) return {true, source.payload};
    if (elements.empty())
        for_each_outcome(source.payload, [&](const OutcomePlace& at) { elements.push_back({at.ok, at.offset, at.size}); });
    if (element > elements.size()) return {false, {}};
    const auto& at = elements[element - 1];
    return {at.ok, std::span<const char>(source.payload).subspan(at.offset, at.size)};
}
}  // namespace

bool ClientCore::add_inputs(TaskState& task, TaskSpec& spec, const std::vector<std::shared_ptr<TaskState>>& inputs) {
    for (const auto& input : inputs) {
        auto& source = carrier(*input);
        if (input->status == TaskStatus::cancelled || source.status == TaskStatus::cancelled) {
            complete(task, TaskStatus::cancelled, {});  // as dask: what needs a cancelled future is cancelled
            return false;
        }
        if (source.status == TaskStatus::error) {  // it would fail on a worker just the same
            complete(task, TaskStatus::error, dependency_failure(source.payload, input->id));
            return false;
        }
        std::int32_t holder = -1;  // the scheduler knows it
        if (source.status == TaskStatus::value && source.holder < first_worker_rank) {
            holder = client_rank;  // done before this run (the journal's): only this client has it
            served_.emplace(source.id, &source);
        }
        spec.inputs.push_back({source.id, input->chunk ? input->index + 1 : 0, holder});
    }
    task.more().inputs = inputs;
    return true;
}

bool ClientCore::inline_inputs(TaskState& task, const std::vector<std::shared_ptr<TaskState>>& inputs,
                               std::vector<std::span<const char>>& bytes) {
    for (const auto& input : inputs) {
        auto& source = carrier(*input);
        if (input->status == TaskStatus::cancelled || source.status == TaskStatus::cancelled) {
            complete(task, TaskStatus::cancelled, {});
            return false;
        }
        auto [ok, outcome] = outcome_of(source, input->chunk ? input->index + 1 : 0, source.more().elements);
        if (!ok) {
            complete(task, TaskStatus::error,
                     outcome.empty() ? missing_input_failure(input->id, "has no outcome in its chunk's result", own_rank(),
                                                             host_name())
                                     : dependency_failure(outcome, input->id));
            return false;
        }
        bytes.push_back(outcome);
    }
    return true;
}

void ClientCore::serve_arguments(int source, TaskId task) {
    auto held = held_arguments_.find(task);
    if (held == held_arguments_.end()) {  // the task was let go (cancelled) meanwhile
        transport_->post(source, Input{task, args_element, Outcome::error,
                                       missing_input_failure(task, "was let go before its worker could fetch its arguments",
                                                             own_rank(), host_name())});
        return;
    }
    Bytes bytes = held->second.keep ? held->second.bytes : std::move(held->second.bytes);
    if (!held->second.keep) held_arguments_.erase(held);
    transport_->post(source, Input{task, args_element, Outcome::value, std::move(bytes)});
}

void ClientCore::serve_input(int source, const FetchInput& wanted) {
    if (wanted.element == args_element) return serve_arguments(source, wanted.task);
    auto id = wanted.task + wanted.element;
    auto served = served_.find(wanted.task);
    if (served == served_.end()) {
        transport_->post(source, Input{wanted.task, wanted.element, Outcome::error,
                                       missing_input_failure(id, "is no longer kept by the client", own_rank(), host_name())});
        return;
    }
    auto& task = *served->second;
    auto [ok, outcome] = outcome_of(task, wanted.element, task.more().elements);
    Bytes payload = outcome.empty() && !ok ? missing_input_failure(id, "has no outcome in its chunk's result", own_rank(),
                                                                   host_name())
                                           : Bytes(outcome.begin(), outcome.end());
    transport_->post(source, Input{wanted.task, wanted.element, ok ? Outcome::value : Outcome::error, std::move(payload)});
}

void ClientCore::cancel_dependents(TaskState& task) {
    // Iterative, so that a chain of 10 000 tasks is cancelled without 10 000 nested calls.
    std::vector<TaskState*> cancelling{&task};
    while (!cancelling.empty()) {
        auto* next = cancelling.back();
        cancelling.pop_back();
        if (!next->extras) continue;
        for (auto& weak : std::exchange(next->extras->dependents, {})) {
            auto dependent = weak.lock();
            if (!dependent) continue;
            let_go_.push_back(dependent);  // the last reference may be this one: let go after the unlock
            if (dependent->status != TaskStatus::pending) continue;
            complete(*dependent, TaskStatus::cancelled, {});
            if (transport_ && !closed_) release(dependent->id);
            cancelling.push_back(dependent.get());
        }
    }
}

// Inline, a task with a timeout that is not isolated runs on a thread of its own, so that
// the client can stop waiting at the limit, as a worker does: the thread cannot be stopped,
// so it is given up and runs on (with its copy of the task) until the process ends.

}  // namespace taskfarm::detail
