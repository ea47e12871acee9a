#include "scheduler_state.hpp"
#include "startup.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <map>

namespace taskfarm::detail {
namespace {

TaskSpec task(TaskId id) {
    TaskSpec spec;
    spec.task = id;
    spec.invoker = 1;
    return spec;
}

std::vector<SchedulerAction> submit_all(SchedulerState& state, TaskId first, TaskId last) {
    for (TaskId id = first; id <= last; ++id) state.task_submitted(task(id));
    return state.take_actions();
}

TEST(SchedulerState, SpreadsTasksOverWorkersUpToTheWindow) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(2));
    auto actions = submit_all(state, 1, 5);
    std::vector<SchedulerAction> expected{SendTask{2, task(1)}, SendTask{3, task(2)}, SendTask{2, task(3)},
                                          SendTask{3, task(4)}};
    EXPECT_EQ(actions, expected);
    EXPECT_EQ(state.queued(), 1u);
    EXPECT_EQ(state.in_flight(2), 2u);
    EXPECT_EQ(state.in_flight(3), 2u);
}

TEST(SchedulerState, ADoneTaskFreesASlotForTheNextOne) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1));
    submit_all(state, 1, 3);
    state.task_done(3, 2, false);
    std::vector<SchedulerAction> expected{SendTask{3, task(3)}};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.queued(), 0u);
}

TEST(SchedulerState, ReleasingAQueuedTaskCancelsIt) {
    SchedulerState state({2}, WindowPolicy::fixed(1));
    submit_all(state, 1, 3);
    state.task_released(2);
    state.task_done(2, 1, false);
    std::vector<SchedulerAction> expected{SendTask{2, task(3)}};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(SchedulerState, HeldResultIsFreedWhenReleased) {
    SchedulerState state({2}, WindowPolicy::fixed(4));
    submit_all(state, 1, 1);
    state.task_done(2, 1, true);
    EXPECT_EQ(state.results_held(), 1u);
    EXPECT_TRUE(state.take_actions().empty());
    state.task_released(1);
    std::vector<SchedulerAction> expected{ReleaseResult{2, 1}};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.results_held(), 0u);
}

TEST(SchedulerState, ReleaseOfASentTaskTellsItsWorkerAndFreesTheResultWhenItArrives) {
    SchedulerState state({2}, WindowPolicy::fixed(4));
    submit_all(state, 1, 1);
    state.task_released(1);
    std::vector<SchedulerAction> expected{ReleaseResult{2, 1}};
    EXPECT_EQ(state.take_actions(), expected) << "the worker may drop it before it starts";
    state.task_done(2, 1, true);  // it had started: its result arrives anyway
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.results_held(), 0u);
}

TEST(SchedulerState, ReleaseOfAnInlineResultLeavesNothingBehind) {
    SchedulerState state({2}, WindowPolicy::fixed(4));
    submit_all(state, 1, 1);
    state.task_done(2, 1, false);
    state.task_released(1);
    EXPECT_TRUE(state.take_actions().empty());
    state.task_submitted(task(2));
    std::vector<SchedulerAction> expected{SendTask{2, task(2)}};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(SchedulerState, ShutdownStopsEveryWorkerThenFinishes) {
    SchedulerState state({2, 3, 4}, WindowPolicy::fixed(4));
    submit_all(state, 1, 2);
    state.shutdown_requested(5);
    std::vector<SchedulerAction> expected{StopWorker{2, 5}, StopWorker{3, 5}, StopWorker{4, 5}, FinishScheduler{}};
    EXPECT_EQ(state.take_actions(), expected);
    state.task_submitted(task(3));
    state.shutdown_requested(0);
    EXPECT_TRUE(state.take_actions().empty());
}

TEST(SchedulerState, ADoneReportFromTheWrongWorkerIsAProtocolError) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4));
    submit_all(state, 1, 1);
    EXPECT_THROW(state.task_done(3, 1, false), ProtocolError);
    EXPECT_THROW(state.task_done(2, 99, false), ProtocolError);
}

TEST(SchedulerState, TaskIdsMustGrow) {
    SchedulerState state({2}, WindowPolicy::fixed(1));
    submit_all(state, 1, 3);
    EXPECT_THROW(state.task_submitted(task(2)), ProtocolError);
}

using namespace std::chrono_literals;

// A worker's window: min = 2, max = 100, about 1 ms of work ahead.
constexpr WindowPolicy adaptive{2, 100, 1ms};

TEST(SchedulerState, AWorkerStartsAtTheSmallestWindow) {
    SchedulerState state({2, 3}, adaptive);
    submit_all(state, 1, 10);
    EXPECT_EQ(state.in_flight(2), 2u);
    EXPECT_EQ(state.in_flight(3), 2u);
    EXPECT_EQ(state.queued(), 6u);
}

TEST(SchedulerState, ShortTasksWidenTheWindowSoTheWorkerNeverRunsDry) {
    SchedulerState state({2}, adaptive);
    submit_all(state, 1, 200);
    state.task_done(2, 1, false, 20us);  // 1 ms / 20 µs = 50 tasks
    EXPECT_EQ(state.window(2), 50u);
    EXPECT_EQ(state.in_flight(2), 50u);
    state.task_done(2, 2, false, 1us);  // the average moves toward 1 µs: the window hits its maximum
    state.task_done(2, 3, false, 1us);
    state.task_done(2, 4, false, 1us);
    EXPECT_GT(state.window(2), 50u);
    for (TaskId id = 5; id < 40; ++id) state.task_done(2, id, false, 1us);
    EXPECT_EQ(state.window(2), 100u);
    EXPECT_EQ(state.in_flight(2), 100u);
}

TEST(SchedulerState, LongTasksKeepTheWindowSmallSoNoWorkerIdlesAtTheEnd) {
    SchedulerState state({2, 3}, adaptive);
    submit_all(state, 1, 10);
    state.task_done(2, 1, false, 1s);
    EXPECT_EQ(state.window(2), 2u);
    EXPECT_EQ(state.in_flight(2), 2u) << "one running, one waiting";
}

TEST(SchedulerState, EachWorkerHasItsOwnWindowAndTheRoomiestGetsTheNextTaskWithinItsShare) {
    SchedulerState state({2, 3}, adaptive);
    submit_all(state, 1, 4);  // 1, 3 on worker 2; 2, 4 on worker 3
    state.task_done(3, 2, false, 100us);  // worker 3: window 10
    EXPECT_EQ(state.window(3), 10u);
    EXPECT_EQ(state.window(2), 2u);
    auto actions = submit_all(state, 5, 7);
    // 6 tasks in the farm, 3 each: worker 3 takes 5 and 6 (its window has room for more), and
    // 7 waits for the first worker with room within its share.
    std::vector<SchedulerAction> expected{SendTask{3, task(5)}, SendTask{3, task(6)}};
    EXPECT_EQ(actions, expected);
    state.task_done(3, 4, false, 100us);
    expected = {SendTask{3, task(7)}};
    EXPECT_EQ(state.take_actions(), expected);
}

// Issue 14, item 9 (found by a test ported from dask): one worker ran 500 tiny tasks while the
// other ran one long task, so the first one's window is wide and the second's narrow. Ten
// tasks of 50 ms sent when both are idle went all to the first (0.53 s instead of 0.25 s).
// Simulated here: each worker runs its tasks one at a time, both at the same speed.
TEST(SchedulerState, ReadyTasksSpreadOverIdleWorkersWhateverTheirWindows) {
    SchedulerState state({2, 3}, WindowPolicy{2, 1024, 20ms});
    submit_all(state, 1, 2);  // 1 on worker 2, 2 on worker 3: the long one
    state.task_done(2, 1, false, 10us);
    for (TaskId id = 3; id < 503; ++id) {
        state.task_submitted(task(id));
        state.task_done(2, id, false, 10us);
    }
    state.task_done(3, 2, false, 2s);
    state.take_actions();
    EXPECT_EQ(state.window(2), 1024u);
    EXPECT_EQ(state.window(3), 2u);

    std::map<int, std::deque<TaskId>> queued_on;  // by worker, in the order sent
    std::map<int, int> ran;
    auto collect = [&] {
        for (auto& action : state.take_actions())
            if (auto* send = std::get_if<SendTask>(&action)) queued_on[send->worker].push_back(send->spec.task);
    };
    for (TaskId id = 1000; id <= 1010; ++id) state.task_submitted(task(id));
    collect();
    // Now each worker finishes its next task in turn, at the same pace, until all are done.
    for (int turn = 0; turn < 20 && (!queued_on[2].empty() || !queued_on[3].empty()); ++turn) {
        for (int worker : {2, 3}) {
            if (queued_on[worker].empty()) continue;
            auto id = queued_on[worker].front();
            queued_on[worker].pop_front();
            state.task_done(worker, id, false, 50ms);
            ++ran[worker];
            collect();
        }
    }
    EXPECT_EQ(state.queued(), 0u);
    EXPECT_EQ(ran[2] + ran[3], 11);
    EXPECT_LE(std::abs(ran[2] - ran[3]), 1) << "worker 2 ran " << ran[2] << ", worker 3 ran " << ran[3];
}

TEST(SchedulerState, AWideWindowTakesNoMoreThanItsShareOfTheWorkInTheFarm) {
    SchedulerState state({2, 3}, adaptive);
    submit_all(state, 1, 1);
    state.task_done(2, 1, false, 1us);  // worker 2's window: 100; worker 3's still 2
    ASSERT_EQ(state.window(2), 100u);
    submit_all(state, 2, 9);
    // 8 tasks: worker 3 takes its window's 2; worker 2 takes its share, half of the 8, not
    // all the rest (6); the other 2 wait for the first worker with room.
    EXPECT_EQ(state.in_flight(2), 4u);
    EXPECT_EQ(state.in_flight(3), 2u);
    EXPECT_EQ(state.queued(), 2u);
}


// Issue 14, item 6: priorities and resources.
TaskSpec with(TaskId id, std::int32_t priority, ResourceRequest resources = {}) {
    auto spec = task(id);
    spec.priority = priority;
    spec.resources = std::move(resources);
    return spec;
}

std::vector<TaskId> sent(const std::vector<SchedulerAction>& actions) {
    std::vector<TaskId> ids;
    for (const auto& action : actions)
        if (const auto* send = std::get_if<SendTask>(&action)) ids.push_back(send->spec.task);
    return ids;
}

TEST(SchedulerState, HigherPriorityGoesFirstAndTiesInSubmitOrder) {
    SchedulerState state({2}, WindowPolicy::fixed(1));
    state.task_submitted(with(1, 0));  // sent at once: the worker was idle
    for (auto [id, priority] : {std::pair{2, 0}, {3, 5}, {4, 5}, {5, 1}, {6, -1}})
        state.task_submitted(with(TaskId(id), priority));
    EXPECT_EQ(sent(state.take_actions()), (std::vector<TaskId>{1}));
    std::vector<TaskId> order;
    for (TaskId done : {1, 3, 4, 5, 2, 6}) {
        state.task_done(2, done, false);
        for (auto id : sent(state.take_actions())) order.push_back(id);
    }
    EXPECT_EQ(order, (std::vector<TaskId>{3, 4, 5, 2, 6}));
}

TEST(SchedulerState, AWorkerNeverHoldsTasksAskingForMoreThanItHasFree) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4), {}, {{{"gpu", 1}}, {}});
    state.task_submitted(with(1, 0, {{"gpu", 1}}));
    state.task_submitted(with(2, 0, {{"gpu", 1}}));
    state.task_submitted(with(3, 0));
    state.task_submitted(with(4, 0));
    auto actions = state.take_actions();
    EXPECT_EQ(sent(actions), (std::vector<TaskId>{1, 3, 4})) << "the second GPU task waits; the others do not";
    EXPECT_EQ(std::get<SendTask>(actions[0]).worker, 2);
    EXPECT_EQ(state.free_resource(2, "gpu"), 0);
    EXPECT_EQ(state.queued(), 1u);
    state.task_done(2, 1, false);
    actions = state.take_actions();
    ASSERT_EQ(sent(actions), (std::vector<TaskId>{2}));
    EXPECT_EQ(std::get<SendTask>(actions[0]).worker, 2);
    state.task_done(2, 2, false);
    EXPECT_EQ(state.free_resource(2, "gpu"), 1) << "given back when done";
}

TEST(SchedulerState, FractionsOfAResourceShareAWorker) {
    SchedulerState state({2}, WindowPolicy::fixed(8), {}, {{{"gpu", 1}}});
    for (TaskId id = 1; id <= 3; ++id) state.task_submitted(with(id, 0, {{"gpu", 0.5}}));
    EXPECT_EQ(sent(state.take_actions()), (std::vector<TaskId>{1, 2}));
    state.task_retried(2, with(1, 0, {{"gpu", 0.5}}));  // a retry gives its share back too
    EXPECT_EQ(sent(state.take_actions()), (std::vector<TaskId>{1}));
}

TEST(SchedulerState, FractionsThatAddUpToTheWholeFitExactly) {
    SchedulerState state({2}, WindowPolicy::fixed(8), {}, {{{"gpu", 1}}});
    state.task_submitted(with(1, 0, {{"gpu", 0.1}}));
    state.task_submitted(with(2, 0, {{"gpu", 0.2}}));
    state.task_submitted(with(3, 0, {{"gpu", 0.7}}));  // 0.1 + 0.2 + 0.7 is not quite 1 in doubles
    state.task_submitted(with(4, 0, {{"gpu", 0.1}}));
    EXPECT_EQ(sent(state.take_actions()), (std::vector<TaskId>{1, 2, 3}));
    EXPECT_EQ(state.queued(), 1u);
}

TEST(SchedulerState, ARetryThatOnlyItsOwnWorkerCanRunGoesBackThere) {
    // It would avoid the worker it failed on, but no other worker has the GPU it needs: it
    // must not wait for ever (nor hold back the tasks behind it).
    SchedulerState state({2, 3}, WindowPolicy::fixed(2), {}, {{{"gpu", 1}}, {}});
    auto gpu_task = with(1, 0, {{"gpu", 1}});
    gpu_task.retries = 1;
    state.task_submitted(gpu_task);
    EXPECT_EQ(sent(state.take_actions()), (std::vector<TaskId>{1}));
    gpu_task.attempt = 2;
    state.task_retried(2, gpu_task);
    state.task_submitted(with(2, 0));
    auto actions = state.take_actions();
    ASSERT_EQ(sent(actions), (std::vector<TaskId>{1, 2}));
    EXPECT_EQ(std::get<SendTask>(actions[0]).worker, 2);
}

TEST(SchedulerState, AReleasedTaskWaitingForAResourceIsDroppedWhenItsTurnComes) {
    SchedulerState state({2}, WindowPolicy::fixed(4), {}, {{{"gpu", 1}}});
    state.task_submitted(with(1, 0, {{"gpu", 1}}));
    state.task_submitted(with(2, 0, {{"gpu", 1}}));
    state.task_submitted(with(3, 0, {{"gpu", 1}}));
    state.take_actions();
    state.task_released(2);
    state.task_done(2, 1, false);
    EXPECT_EQ(sent(state.take_actions()), (std::vector<TaskId>{3}));
    EXPECT_EQ(state.queued(), 0u);
    EXPECT_EQ(state.free_resource(2, "gpu"), 0);
}

TEST(SchedulerState, ATaskNoWorkerCouldEverRunFailsAtOnce) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4), {}, {{{"gpu", 1}}, {{"gpu", 1}}});
    state.task_submitted(with(1, 0, {{"gpu", 2}}));
    state.task_submitted(with(2, 0, {{"tpu", 1}}));
    std::vector<SchedulerAction> expected{FailTask{1, -1, 1, true, {{"gpu", 2}}}, FailTask{2, -1, 1, true, {{"tpu", 1}}}};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.queued(), 0u);
}

TEST(SchedulerState, LosingTheOnlyWorkerWithAResourceFailsTheTasksWaitingForIt) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4), Liveness{1s, {}}, {{{"gpu", 1}}, {}});
    state.task_submitted(with(1, 0, {{"gpu", 1}}));
    state.task_submitted(with(2, 0, {{"gpu", 1}}));
    state.take_actions();
    state.worker_heard(3);
    state.time_passed(Liveness::Clock::time_point{} + 400ms);
    state.worker_heard(3);
    state.time_passed(Liveness::Clock::time_point{} + 800ms);
    state.worker_heard(3);
    state.time_passed(Liveness::Clock::time_point{} + 1200ms);  // worker 2 silent for 1.2 s: lost
    ASSERT_TRUE(state.is_lost(2));
    std::vector<SchedulerAction> expected{LoseWorker{2, 0, 1}, FailTask{1, 2, 1}, FailTask{2, -1, 1, true, {{"gpu", 1}}}};
    EXPECT_EQ(state.take_actions(), expected);
}

TaskSpec retried(TaskId id) {
    auto spec = task(id);
    spec.attempt = 2;
    return spec;
}

TEST(SchedulerState, ARetriedTaskGoesToAnotherWorker) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(2));
    submit_all(state, 1, 2);  // 1 on worker 2, 2 on worker 3
    state.task_retried(2, retried(1));
    std::vector<SchedulerAction> expected{SendTask{3, retried(1)}};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.in_flight(2), 0u);
    EXPECT_EQ(state.in_flight(3), 2u);
}

TEST(SchedulerState, ARetriedTaskWaitsForRoomOnAnotherWorkerAndGoesFirst) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1));
    submit_all(state, 1, 3);  // 1 on 2, 2 on 3, 3 queued
    state.task_retried(2, retried(1));
    EXPECT_TRUE(state.take_actions().empty()) << "worker 3 is full and worker 2 is the one it failed on";
    state.task_done(3, 2, false);
    std::vector<SchedulerAction> expected{SendTask{3, retried(1)}, SendTask{2, task(3)}};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(SchedulerState, WithOneWorkerARetryRunsThere) {
    SchedulerState state({2}, WindowPolicy::fixed(1));
    submit_all(state, 1, 1);
    state.task_retried(2, retried(1));
    std::vector<SchedulerAction> expected{SendTask{2, retried(1)}};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(SchedulerState, AReleasedTaskIsNotRetried) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1));
    submit_all(state, 1, 1);
    state.task_released(1);
    state.take_actions();
    state.task_retried(2, retried(1));
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.queued(), 0u);
    EXPECT_THROW(state.task_retried(3, retried(1)), ProtocolError);
}

TEST(SchedulerState, DrainingHandsOutNothingMoreAndTellsEveryWorkerOnce) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1));
    submit_all(state, 1, 3);
    state.drain_requested();
    state.drain_requested();
    std::vector<SchedulerAction> expected{DrainWorker{2}, DrainWorker{3}};
    EXPECT_EQ(state.take_actions(), expected);
    state.task_done(2, 1, false);
    state.task_submitted(task(4));
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.queued(), 2u);
}

TEST(SchedulerState, ATaskThatNeverRanTeachesNothing) {
    SchedulerState state({2}, adaptive);
    submit_all(state, 1, 3);
    state.task_done(2, 1, false, 0ns);
    EXPECT_EQ(state.window(2), 2u);
}

// Liveness: a worker not heard from within the timeout is lost.
using namespace std::chrono_literals;
const auto t0 = SchedulerState::Clock::time_point{} + 1h;

TaskSpec retryable(TaskId id, std::uint32_t retries) {
    auto spec = task(id);
    spec.retries = retries;
    return spec;
}

// Ticks every second from `from` up to and including `to`, as the scheduler's transport does.
void tick(SchedulerState& state, SchedulerState::Clock::time_point from, SchedulerState::Clock::time_point to) {
    for (auto now = from; now <= to; now += 1s) state.time_passed(now);
}

TEST(SchedulerState, AWorkerHeardFromInTimeIsNotLost) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1), Liveness{10s, t0});
    tick(state, t0 + 1s, t0 + 8s);
    state.worker_heard(2);
    state.worker_heard(3);
    tick(state, t0 + 9s, t0 + 16s);
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_FALSE(state.is_lost(2));
}

TEST(SchedulerState, ASilentWorkerIsLostItsRerunnableTasksMoveAndTheOthersFail) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(2), Liveness{10s, t0});
    state.task_submitted(task(1));          // to 2, no runs left
    state.task_submitted(retryable(2, 1));  // to 3
    state.task_submitted(retryable(3, 1));  // to 2, may run again
    state.take_actions();
    tick(state, t0 + 1s, t0 + 5s);
    state.worker_heard(3);
    tick(state, t0 + 6s, t0 + 11s);  // 2 silent for 11 s, 3 for 6 s
    auto rerun = retryable(3, 1);
    rerun.attempt = 2;
    std::vector<SchedulerAction> expected{LoseWorker{2, 1, 1}, FailTask{1, 2, 1}, SendTask{3, rerun}};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_TRUE(state.is_lost(2));
    EXPECT_FALSE(state.is_lost(3));
    // New work goes to the live worker only.
    state.task_done(3, 2, false);
    state.task_submitted(task(4));
    std::vector<SchedulerAction> next{SendTask{3, task(4)}};
    EXPECT_EQ(state.take_actions(), next);
}

TEST(SchedulerState, WhenEveryWorkerIsLostQueuedAndNewTasksFail) {
    SchedulerState state({2}, WindowPolicy::fixed(1), Liveness{10s, t0});
    state.task_submitted(task(1));
    state.task_submitted(task(2));  // queued at the scheduler
    state.take_actions();
    tick(state, t0 + 1s, t0 + 11s);
    std::vector<SchedulerAction> expected{LoseWorker{2, 0, 1}, FailTask{1, 2, 1}, FailTask{2, -1, 1}};
    EXPECT_EQ(state.take_actions(), expected);
    state.task_submitted(task(3));
    std::vector<SchedulerAction> later{FailTask{3, -1, 1}};
    EXPECT_EQ(state.take_actions(), later);
}

TEST(SchedulerState, AJobThatLostAWorkerEndsByAbortWithANonZeroStatus) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1), Liveness{10s, t0});
    tick(state, t0 + 1s, t0 + 9s);
    state.worker_heard(3);
    tick(state, t0 + 10s, t0 + 11s);
    state.take_actions();
    state.shutdown_requested(0);
    std::vector<SchedulerAction> expected{StopWorker{3, 0}, AbortJob{status_worker_lost}};
    EXPECT_EQ(state.take_actions(), expected);
    SchedulerState failing({2, 3}, WindowPolicy::fixed(1), Liveness{10s, t0});
    tick(failing, t0 + 1s, t0 + 11s);
    failing.take_actions();
    failing.shutdown_requested(3);
    std::vector<SchedulerAction> keeps_status{AbortJob{3}};
    EXPECT_EQ(failing.take_actions(), keeps_status);
}

TEST(SchedulerState, AnEndThatDoesNotCompleteWithinTheTimeoutIsAborted) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1), Liveness{10s, t0});
    tick(state, t0 + 1s, t0 + 2s);
    state.shutdown_requested(0);
    state.take_actions();  // stop both, finish
    tick(state, t0 + 3s, t0 + 12s);
    EXPECT_TRUE(state.take_actions().empty());
    tick(state, t0 + 13s, t0 + 14s);  // still running 11 s after the shutdown: a rank froze
    std::vector<SchedulerAction> expected{AbortJob{status_worker_lost, true}};
    EXPECT_EQ(state.take_actions(), expected);
    tick(state, t0 + 15s, t0 + 30s);
    EXPECT_TRUE(state.take_actions().empty());  // once
}

TEST(SchedulerState, ASchedulerThatDidNotRunForAWhileLosesNoWorker) {
    SchedulerState state({2}, WindowPolicy::fixed(1), Liveness{10s, t0});
    tick(state, t0 + 1s, t0 + 3s);
    state.time_passed(t0 + 3h);  // the laptop slept: the worker's heartbeats are still unread
    EXPECT_TRUE(state.take_actions().empty());
    tick(state, t0 + 3h + 1s, t0 + 3h + 9s);
    EXPECT_FALSE(state.is_lost(2));
    tick(state, t0 + 3h + 10s, t0 + 3h + 11s);  // still silent, now while the scheduler runs
    EXPECT_TRUE(state.is_lost(2));
}

TEST(SchedulerState, WithoutATimeoutNoWorkerIsEverLost) {
    SchedulerState state({2}, WindowPolicy::fixed(1), Liveness{0s, t0});
    state.task_submitted(retryable(1, 3));
    state.take_actions();
    state.time_passed(t0 + 1000h);
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_FALSE(state.is_lost(2));
}

TEST(SchedulerState, AReleasedTaskOnALostWorkerNeitherRunsNorFails) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(1), Liveness{10s, t0});
    state.task_submitted(retryable(1, 1));  // to 2
    state.task_submitted(task(2));          // to 3
    state.task_released(1);
    state.take_actions();
    tick(state, t0 + 1s, t0 + 5s);
    state.worker_heard(3);
    tick(state, t0 + 6s, t0 + 11s);
    std::vector<SchedulerAction> expected{LoseWorker{2, 0, 0}};
    EXPECT_EQ(state.take_actions(), expected);
}

// Task graphs (issue 14): a task waits here until its inputs are done, goes out with their
// holders filled in, and fails when an input never will be.
TaskSpec needs(TaskId id, std::vector<TaskInput> inputs) {
    auto spec = task(id);
    spec.inputs = std::move(inputs);
    return spec;
}

template <class Action>
std::vector<Action> only(const std::vector<SchedulerAction>& actions) {
    std::vector<Action> found;
    for (const auto& action : actions)
        if (auto* a = std::get_if<Action>(&action)) found.push_back(*a);
    return found;
}

TEST(SchedulerState, ATaskWaitsForItsInputsAndGoesOutWithTheirHolders) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4));
    state.task_submitted(task(1));
    state.task_submitted(task(2));
    state.take_actions();
    state.task_submitted(needs(3, {{1, 0, -1}, {2, 5, -1}, {1, 0, -1}}));
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.waiting_for_inputs(), 1u);
    state.task_done(2, 1, true);
    EXPECT_TRUE(state.take_actions().empty()) << "task 2 is not done yet";
    state.task_done(3, 2, true);
    auto sent = only<SendTask>(state.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    std::vector<TaskInput> filled{{1, 0, 2}, {2, 5, 3}, {1, 0, 2}};
    EXPECT_EQ(sent[0].spec.inputs, filled);
    EXPECT_EQ(state.waiting_for_inputs(), 0u);
}

TEST(SchedulerState, AnInputDoneAlreadyOrHeldByTheClientNeedsNoWait) {
    SchedulerState state({2}, WindowPolicy::fixed(4));
    state.task_submitted(task(1));
    state.take_actions();
    state.task_done(2, 1, true);
    state.task_submitted(needs(2, {{1, 0, -1}, {5, 0, 1}}));  // 5: from the journal, on the client (rank 1)
    auto sent = only<SendTask>(state.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    std::vector<TaskInput> filled{{1, 0, 2}, {5, 0, 1}};
    EXPECT_EQ(sent[0].spec.inputs, filled);
}

TEST(SchedulerState, AChainOfWaitingTasksRunsOneAfterAnother) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4));
    state.task_submitted(task(1));
    for (TaskId id = 2; id <= 10'000; ++id) state.task_submitted(needs(id, {{id - 1, 0, -1}}));
    EXPECT_EQ(state.waiting_for_inputs(), 9'999u);
    auto sent = only<SendTask>(state.take_actions());
    for (TaskId id = 1; id <= 10'000; ++id) {
        ASSERT_EQ(sent.size(), 1u) << "link " << id;
        EXPECT_EQ(sent[0].spec.task, id);
        state.task_done(sent[0].worker, id, true);
        state.task_released(id - 1);  // the client lets go of the input once its dependent is done
        sent = only<SendTask>(state.take_actions());
    }
    EXPECT_TRUE(sent.empty());
    EXPECT_EQ(state.results_held(), 1u);
}

// With a 1 s worker timeout, 1.2 s pass in steps in which only worker `alive` is heard from:
// the other is lost.
void lose_all_but(SchedulerState& state, int alive) {
    for (int ms : {400, 800, 1200}) {
        state.worker_heard(alive);
        state.time_passed(Liveness::Clock::time_point{} + std::chrono::milliseconds(ms));
    }
}

TEST(SchedulerState, AnInputThatFailsHereFailsEveryTaskWaitingForItWithoutRecursion) {
    // Task 1's worker is lost with no runs left for it: the chain of 4 999 tasks behind it fails.
    SchedulerState lossy({2, 3}, WindowPolicy::fixed(4), Liveness{std::chrono::seconds(1), {}});
    lossy.task_submitted(task(1));
    auto first = only<SendTask>(lossy.take_actions());
    ASSERT_EQ(first.size(), 1u);
    for (TaskId id = 2; id <= 5'000; ++id) lossy.task_submitted(needs(id, {{id - 1, 0, -1}}));
    lose_all_but(lossy, first[0].worker == 2 ? 3 : 2);
    auto actions = lossy.take_actions();
    EXPECT_EQ(only<LoseWorker>(actions).size(), 1u);
    auto failed = only<FailTask>(actions);
    ASSERT_EQ(failed.size(), 5'000u);
    EXPECT_EQ(failed[0].task, 1u);
    EXPECT_TRUE(failed[0].dependency.empty()) << "task 1 itself was lost";
    EXPECT_NE(failed.back().dependency.find("task 1,"), std::string::npos) << failed.back().dependency;
    EXPECT_EQ(lossy.waiting_for_inputs(), 0u);
}

TEST(SchedulerState, AResultLostWithItsWorkerFailsTheTasksThatNeedIt) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4), Liveness{std::chrono::seconds(1), {}});
    state.task_submitted(task(1));
    auto first = only<SendTask>(state.take_actions());
    ASSERT_EQ(first.size(), 1u);
    int holder = first[0].worker, other = holder == 2 ? 3 : 2;
    state.task_done(holder, 1, true);
    state.task_submitted(task(2));  // still running when its input is lost
    auto second = only<SendTask>(state.take_actions());
    ASSERT_EQ(second.size(), 1u);
    state.task_submitted(needs(3, {{1, 0, -1}, {2, 0, -1}}));  // waits for 2; 1 is on the worker to be lost
    state.take_actions();
    lose_all_but(state, other);
    auto actions = state.take_actions();
    ASSERT_EQ(only<LoseWorker>(actions).size(), 1u);
    bool three_failed = false;
    for (const auto& failed : only<FailTask>(actions))
        if (failed.task == 3) {
            three_failed = true;
            EXPECT_NE(failed.dependency.find("rank " + std::to_string(holder)), std::string::npos) << failed.dependency;
        }
    EXPECT_TRUE(three_failed);
    EXPECT_EQ(state.waiting_for_inputs(), 0u);
}

TEST(SchedulerState, AnInputNobodyKnowsFailsItsTaskAtOnce) {
    SchedulerState state({2}, WindowPolicy::fixed(4));
    state.task_submitted(needs(7, {{3, 0, -1}}));
    auto failed = only<FailTask>(state.take_actions());
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].task, 7u);
    EXPECT_NE(failed[0].dependency.find("task 3"), std::string::npos);
}

TEST(SchedulerState, CancellingAWaitingTaskForgetsItAndFailsWhatWaitsForIt) {
    SchedulerState state({2}, WindowPolicy::fixed(4));
    state.task_submitted(task(1));
    state.take_actions();
    state.task_submitted(needs(2, {{1, 0, -1}}));
    state.task_submitted(needs(3, {{2, 0, -1}}));
    state.task_released(2);
    auto failed = only<FailTask>(state.take_actions());
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].task, 3u);
    EXPECT_EQ(state.waiting_for_inputs(), 0u);
    state.task_done(2, 1, true);
    EXPECT_TRUE(only<SendTask>(state.take_actions()).empty()) << "task 2 was forgotten";
}

TEST(SchedulerState, ATaskGoesToTheWorkerThatKeepsMostOfItsInputBytes) {
    SchedulerState state({2, 3, 4}, WindowPolicy::fixed(2));
    for (TaskId id = 1; id <= 3; ++id) state.task_submitted(task(id));  // one on each worker
    auto sent = only<SendTask>(state.take_actions());
    ASSERT_EQ(sent.size(), 3u);
    std::map<int, TaskId> on;
    for (const auto& s : sent) on[s.worker] = s.spec.task;
    state.task_done(2, on[2], true, std::chrono::milliseconds(1), 100);
    state.task_done(3, on[3], true, std::chrono::milliseconds(1), 8'000'000);
    state.task_done(4, on[4], true, std::chrono::milliseconds(1), 5'000'000);
    EXPECT_EQ(state.bytes_held(3), 8'000'000u);
    state.take_actions();
    // Of task 10's inputs, worker 2 keeps 100 bytes, worker 3 8 MB and worker 4 5 MB.
    state.task_submitted(needs(10, {{on[2], 0, -1}, {on[3], 0, -1}, {on[4], 0, -1}}));
    auto placed = only<SendTask>(state.take_actions());
    ASSERT_EQ(placed.size(), 1u);
    EXPECT_EQ(placed[0].worker, 3) << "the 8 MB stay where they are";
    // Worker 3 takes tasks that read its bytes past its window (two tasks), by one more
    // window (fixed windows: no run times to weigh); past that, its inputs travel.
    for (TaskId id = 11; id <= 14; ++id) state.task_submitted(needs(id, {{on[3], 0, -1}}));
    auto next = only<SendTask>(state.take_actions());
    ASSERT_EQ(next.size(), 4u);
    EXPECT_EQ(next[0].worker, 3);
    EXPECT_EQ(next[1].worker, 3) << "worker 3 is at its window (2) but keeps the 8 MB";
    EXPECT_EQ(next[2].worker, 3);
    EXPECT_EQ(state.in_flight(3), 4u);
    EXPECT_NE(next[3].worker, 3) << "worker 3 has two windows of tasks: the input travels";
    state.task_released(on[3]);
    EXPECT_EQ(state.bytes_held(3), 0u);
}

TEST(SchedulerState, WithoutPlacementByInputBytesATaskGoesWhereAnyTaskWould) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(2));
    state.place_by_input_bytes(false);
    state.task_submitted(task(1));
    auto first = only<SendTask>(state.take_actions());
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(first[0].worker, 2);
    state.task_done(2, 1, true, std::chrono::milliseconds(1), 8'000'000);
    state.task_submitted(task(2));  // keeps worker 2 busy: worker 3 is the roomier
    state.take_actions();
    state.task_submitted(needs(3, {{1, 0, -1}}));
    auto placed = only<SendTask>(state.take_actions());
    ASSERT_EQ(placed.size(), 1u);
    EXPECT_EQ(placed[0].worker, 3) << "the rule is off: the roomier worker, and the 8 MB travel";
}

TEST(SchedulerState, ABroadcastGoesToEveryWorkerAndItsReadersUseTheirOwnCopy) {
    SchedulerState state({2, 3}, WindowPolicy::fixed(4));
    auto table = task(1);
    table.broadcast = true;
    state.task_submitted(table);
    auto copies = only<SendTask>(state.take_actions());
    ASSERT_EQ(copies.size(), 2u);
    EXPECT_EQ(copies[0].worker, 2);
    EXPECT_EQ(copies[1].worker, 3);
    EXPECT_EQ(state.in_flight(2), 0u) << "placing data takes no task slot";
    state.task_submitted(needs(2, {{1, 0, -1}}));
    state.task_submitted(needs(3, {{1, 0, -1}}));
    state.task_done(2, 1, true, {}, 1000);
    EXPECT_TRUE(only<SendTask>(state.take_actions()).empty()) << "not every copy is there yet";
    state.task_done(3, 1, true, {}, 1000);
    auto readers = only<SendTask>(state.take_actions());
    ASSERT_EQ(readers.size(), 2u);
    for (const auto& reader : readers) EXPECT_EQ(reader.spec.inputs[0].holder, reader.worker) << "its own copy";
    EXPECT_EQ(state.bytes_held(2), 1000u);
    state.task_released(1);
    std::vector<SchedulerAction> released{ReleaseResult{2, 1}, ReleaseResult{3, 1}};
    EXPECT_EQ(state.take_actions(), released);
    EXPECT_EQ(state.bytes_held(3), 0u);
}

TEST(SchedulerState, ATaskWhoseInputsAreDoneKeepsItsPlaceInTheQueue) {
    SchedulerState state({2}, WindowPolicy::fixed(1));
    state.task_submitted(task(1));                  // runs
    state.task_submitted(needs(2, {{1, 0, -1}}));   // waits
    state.task_submitted(task(3));                  // queued
    state.take_actions();
    state.task_done(2, 1, true);                    // 2 is ready: before 3, and found as queued
    auto sent = only<SendTask>(state.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].spec.task, 2u);
    state.task_submitted(task(4));
    state.task_submitted(needs(5, {{3, 0, -1}}));   // 3 is queued: 5 waits for it, not fails
    EXPECT_TRUE(only<FailTask>(state.take_actions()).empty());
    EXPECT_EQ(state.waiting_for_inputs(), 1u);
}

}  // namespace
}  // namespace taskfarm::detail
