#include "failure.hpp"
#include "roles.hpp"
#include "worker_state.hpp"

#include <taskfarm/detail/task.hpp>

#include <gtest/gtest.h>

namespace taskfarm::detail {
namespace {

using namespace std::chrono_literals;
using Clock = WorkerState::Clock;
const auto t0 = Clock::time_point{} + 1h;

TaskSpec task(TaskId id, std::uint32_t retries = 0) {
    TaskSpec spec;
    spec.task = id;
    spec.invoker = 1;
    spec.retries = retries;
    spec.args = Bytes{'a', 'r', 'g', 's'};
    return spec;
}

TaskSpec timed(TaskId id, std::chrono::nanoseconds timeout, std::uint32_t retries = 0) {
    auto spec = task(id, retries);
    spec.timeout_ns = std::uint64_t(timeout.count());
    return spec;
}

TaskSpec next_attempt(TaskSpec spec) {
    ++spec.attempt;
    return spec;
}

Execute execute(int executor, TaskSpec spec) { return {executor, std::make_shared<const TaskSpec>(std::move(spec))}; }

// No heartbeats unless a test asks for them.
Options worker_options(int threads) {
    Options options;
    options.threads_per_worker = threads;
    options.worker_timeout = 0s;
    return options;
}

AttemptResult value(std::string bytes, std::chrono::nanoseconds run_time = 3ms) {
    return {Outcome::value, Bytes(bytes.begin(), bytes.end()), run_time};
}

AttemptResult error(std::chrono::nanoseconds run_time = 3ms) {
    return {Outcome::error, encode_failure({"std::runtime_error", "boom", 2, "node", 1}), run_time};
}

// A worker whose executor threads have all started (their start-up instructions taken).
WorkerState started_worker(const Options& options, int rank = -1) {
    WorkerState state(options, t0, rank);
    state.start_executors();
    for (auto& action : state.take_actions()) state.thread_started(std::get<StartThread>(action).executor);
    EXPECT_TRUE(state.take_actions().empty());
    return state;
}

// The instructions of one kind, in order.
template <class Action>
std::vector<Action> only(const std::vector<WorkerAction>& actions) {
    std::vector<Action> found;
    for (const auto& action : actions)
        if (auto* a = std::get_if<Action>(&action)) found.push_back(*a);
    return found;
}

Send finished(TaskId id, AttemptResult attempt) { return {client_rank, Finished{id, attempt.outcome, attempt.payload}}; }
// held_bytes: the size of the outcome kept (the result's, or the failure record's).
Send done(TaskId id, bool held, std::chrono::nanoseconds run_time = 3ms, std::uint64_t held_bytes = 0) {
    return {scheduler_rank, Done{id, held, std::uint64_t(run_time.count()), held_bytes}};
}

TEST(WorkerState, StartsItsExecutorThreadsWhenAsked) {
    WorkerState state(worker_options(3), t0);
    EXPECT_TRUE(state.take_actions().empty());
    state.start_executors();
    std::vector<WorkerAction> expected{StartThread{0}, StartThread{1}, StartThread{2}};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(WorkerState, ATaskRunsOnAnIdleExecutor) {
    auto state = started_worker(worker_options(2));
    state.run(task(1));
    std::vector<WorkerAction> first{execute(0, task(1))};
    EXPECT_EQ(state.take_actions(), first);
    state.run(task(2));
    std::vector<WorkerAction> second{execute(1, task(2))};
    EXPECT_EQ(state.take_actions(), second);
    EXPECT_EQ(state.queued(), 0u);
}

TEST(WorkerState, TasksBeyondTheExecutorsWaitTheirTurn) {
    auto state = started_worker(worker_options(1));
    state.run(task(1));
    state.run(task(2));
    state.run(task(3));
    std::vector<WorkerAction> expected{execute(0, task(1))};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.queued(), 2u);
    EXPECT_TRUE(state.attempt_started(0, t0));
    EXPECT_EQ(state.tasks_running(), 1u);
    state.attempt_finished(0, value("one"));
    std::vector<WorkerAction> next{finished(1, value("one")), done(1, true, 3ms, 3), execute(0, task(2))};
    EXPECT_EQ(state.take_actions(), next);
    EXPECT_EQ(state.queued(), 1u);
}

TEST(WorkerState, TasksGivenBeforeTheThreadsStartWaitForThem) {
    WorkerState state(worker_options(1), t0);
    state.run(task(1));
    EXPECT_TRUE(state.take_actions().empty());
    state.start_executors();
    state.take_actions();
    state.thread_started(0);
    std::vector<WorkerAction> expected{execute(0, task(1))};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(WorkerState, AValueGoesToTheClientAndDoneToTheScheduler) {
    auto state = started_worker(worker_options(1));
    state.run(task(1));
    state.take_actions();
    state.attempt_started(0, t0);
    EXPECT_TRUE(state.take_actions().empty()) << "no journal: the client is not told of starts";
    state.attempt_finished(0, value("result"));
    std::vector<WorkerAction> expected{finished(1, value("result")), done(1, true, 3ms, 6)};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.results_held(), 1u) << "kept until released: a task may need it as an input";
    EXPECT_EQ(state.tasks_running(), 0u);
}

TEST(WorkerState, ATaskThatTookNoTimeStillReportsANonZeroRunTime) {
    auto state = started_worker(worker_options(1));
    state.run(task(1));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("quick", 0ns));
    auto sends = only<Send>(state.take_actions());
    ASSERT_EQ(sends.size(), 2u);
    EXPECT_EQ(sends[1], done(1, true, 1ns, 5)) << "zero means it never ran";
}

TEST(WorkerState, ALargeValueIsHeldAndFetchedAsACopyUntilReleased) {
    auto options = worker_options(1);
    options.inline_result_limit = 4;
    auto state = started_worker(options);
    state.run(task(1));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("large"));
    std::vector<WorkerAction> expected{Send{client_rank, Finished{1, Outcome::held, {}}}, done(1, true, 3ms, 5)};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.results_held(), 1u);
    state.fetch(client_rank, 1);
    std::vector<WorkerAction> fetched{Send{client_rank, Fetched{1, value("large").payload}}};
    EXPECT_EQ(state.take_actions(), fetched);
    EXPECT_EQ(state.results_held(), 1u) << "a task may still need it as an input";
    state.release(1);
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.results_held(), 0u);
    EXPECT_THROW(state.fetch(client_rank, 1), ProtocolError) << "released: gone";
}

TEST(WorkerState, AValueAtTheLimitAndAnErrorOverItTravelInline) {
    auto options = worker_options(1);
    options.inline_result_limit = 4;
    auto state = started_worker(options);
    state.run(task(1));
    state.run(task(2));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("four"));
    state.attempt_started(0, t0);
    state.attempt_finished(0, error());
    std::vector<WorkerAction> expected{finished(1, value("four")), done(1, true, 3ms, 4), execute(0, task(2)),
                                       finished(2, error()), done(2, true, 3ms, error().payload.size())};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_EQ(state.results_held(), 2u) << "a failure too: the tasks that need it fail with it";
}

TEST(WorkerState, WithAJournalStartsAreToldAndEveryResultRidesToTheClient) {
    auto options = worker_options(1);
    options.inline_result_limit = 4;
    options.journal = "run.journal";
    auto state = started_worker(options);
    state.run(task(1));
    state.take_actions();
    state.attempt_started(0, t0);
    std::vector<WorkerAction> started{Send{client_rank, Started{1}}};
    EXPECT_EQ(state.take_actions(), started);
    state.attempt_finished(0, value("large"));
    std::vector<WorkerAction> expected{finished(1, value("large")), done(1, true, 3ms, 5)};
    EXPECT_EQ(state.take_actions(), expected) << "the client journals every result";
    EXPECT_EQ(state.results_held(), 1u);
}

TEST(WorkerState, ReleaseFreesAHeldResultDropsAQueuedTaskAndLeavesTheRest) {
    auto options = worker_options(1);
    options.inline_result_limit = 4;
    auto state = started_worker(options);
    state.run(task(1));
    state.run(task(2));
    state.run(task(3));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("large"));  // 1 held; 2 given to the executor; 3 queued
    state.take_actions();
    EXPECT_EQ(state.results_held(), 1u);

    state.release(1);
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.results_held(), 0u);

    state.release(3);
    std::vector<WorkerAction> dropped{Send{scheduler_rank, Done{3, false, 0}}};
    EXPECT_EQ(state.take_actions(), dropped) << "its slot is free: it never ran";
    EXPECT_EQ(state.queued(), 0u);

    state.release(2);   // running: its result is released again once it is done
    state.release(99);  // unknown: finished inline long ago
    EXPECT_TRUE(state.take_actions().empty());
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("two"));
    std::vector<WorkerAction> reported{finished(2, value("two")), done(2, true, 3ms, 3)};
    EXPECT_EQ(state.take_actions(), reported);
}

TEST(WorkerState, AFailureWithRunsLeftGoesBackToTheSchedulerAsARetry) {
    auto state = started_worker(worker_options(1));
    state.run(task(1, 1));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, error());
    std::vector<WorkerAction> retry{Send{scheduler_rank, Retry{next_attempt(task(1, 1))}}};
    EXPECT_EQ(state.take_actions(), retry);

    state.run(next_attempt(task(1, 1)));  // the scheduler sends it here again
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, error());
    std::vector<WorkerAction> failed{finished(1, error()), done(1, true, 3ms, error().payload.size())};
    EXPECT_EQ(state.take_actions(), failed) << "no runs left";
}

TEST(WorkerState, ARetryTakesTheArgumentsWhetherOrNotTheExecutorStillHoldsThem) {
    auto state = started_worker(worker_options(1));
    state.run(task(1, 2));
    auto given = std::get<Execute>(state.take_actions().at(0));
    state.attempt_started(0, t0);
    state.attempt_finished(0, error());  // `given` still refers to the spec: it is copied
    auto retry = only<Send>(state.take_actions()).at(0);
    EXPECT_EQ(std::get<Retry>(retry.message).spec, next_attempt(task(1, 2)));
    EXPECT_EQ(*given.spec, task(1, 2)) << "what the executor holds is left as it was";

    state.run(next_attempt(task(1, 2)));
    state.take_actions();  // let go of at once: the arguments move
    state.attempt_started(0, t0);
    state.attempt_finished(0, error());
    auto again = only<Send>(state.take_actions()).at(0);
    EXPECT_EQ(std::get<Retry>(again.message).spec, next_attempt(next_attempt(task(1, 2))));
}

TEST(WorkerState, DrainingStartsNoMoreTasksButTheRunningOnesReport) {
    auto state = started_worker(worker_options(1));
    state.run(task(1));
    state.run(task(2));
    state.take_actions();
    state.attempt_started(0, t0);
    state.drain();
    state.attempt_finished(0, value("one"));
    std::vector<WorkerAction> expected{finished(1, value("one")), done(1, true, 3ms, 3)};
    EXPECT_EQ(state.take_actions(), expected);
    state.run(task(3));
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.queued(), 2u);
}

TEST(WorkerState, ATaskGivenBeforeADrainIsNotStartedAndWaitsFirstInLine) {
    auto state = started_worker(worker_options(1));
    state.run(task(1));
    state.run(task(2));
    state.take_actions();  // 1 given to the executor, which has not picked it up yet
    state.drain();
    EXPECT_FALSE(state.attempt_started(0, t0));
    EXPECT_EQ(state.tasks_running(), 0u);
    EXPECT_EQ(state.queued(), 2u);
    state.release(1);  // it is queued again, so a release drops it
    std::vector<WorkerAction> dropped{Send{scheduler_rank, Done{1, false, 0}}};
    EXPECT_EQ(state.take_actions(), dropped);
}

TEST(WorkerState, AStopSignalDrainsAndTellsTheScheduler) {
    auto state = started_worker(worker_options(1));
    state.stop_signal();
    std::vector<WorkerAction> expected{Send{scheduler_rank, Drain{}}};
    EXPECT_EQ(state.take_actions(), expected);
    state.run(task(1));
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.queued(), 1u);
}

TEST(WorkerState, StopClearsTheQueueAndNothingIsSentAfterIt) {
    auto options = worker_options(2);
    options.inline_result_limit = 4;
    options.worker_timeout = 4s;
    auto state = started_worker(options);
    state.run(task(1));
    state.run(task(2));
    state.run(task(3));
    state.take_actions();
    state.attempt_started(0, t0);  // 1 running, 2 given to executor 1, 3 queued
    state.stop(5);
    std::vector<WorkerAction> expected{FinishWorker{5}};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_TRUE(state.stopping());
    EXPECT_EQ(state.queued(), 0u);
    EXPECT_EQ(state.tasks_running(), 1u);
    EXPECT_FALSE(state.attempt_started(1, t0));
    state.attempt_finished(0, value("large"));
    EXPECT_EQ(state.tasks_running(), 0u);
    state.run(task(4));
    state.release(1);
    state.fetch(client_rank, 1);
    state.stop_signal();
    state.stop(6);
    state.time_passed(t0 + 1h);
    EXPECT_TRUE(state.take_actions().empty());
    EXPECT_EQ(state.results_held(), 0u);
}

TEST(WorkerState, MessagesArriveAsEventsAndAnUnexpectedOneIsAProtocolError) {
    auto state = started_worker(worker_options(1));
    state.received(scheduler_rank, detail::Run{task(1)});  // Run alone is gtest's
    std::vector<WorkerAction> expected{execute(0, task(1))};
    EXPECT_EQ(state.take_actions(), expected);
    EXPECT_THROW(state.received(client_rank, Submit{task(2)}), ProtocolError);
    EXPECT_THROW(state.received(client_rank, Fetch{7}), ProtocolError) << "a result this worker does not hold";
    state.received(scheduler_rank, Stop{2});
    std::vector<WorkerAction> stopped{FinishWorker{2}};
    EXPECT_EQ(state.take_actions(), stopped);
}

// The watchdog: without isolation a task over its time limit cannot be stopped.
TEST(WorkerState, ATaskOverItsLimitIsReportedOnceItsThreadGivenUpAndReplaced) {
    auto state = started_worker(worker_options(1));
    state.run(timed(1, 1s));
    state.run(task(2));
    state.take_actions();
    state.attempt_started(0, t0);
    state.time_passed(t0 + 1s);
    EXPECT_TRUE(state.take_actions().empty()) << "at its limit, not over it";

    state.time_passed(t0 + 1050ms);
    auto actions = state.take_actions();
    ASSERT_EQ(actions.size(), 5u);
    EXPECT_EQ(actions[0], WorkerAction(GiveUpThread{0}));
    auto log = std::get<Log>(actions[1]).text;
    EXPECT_NE(log.find("task 1 ran over its timeout of 1 s; it cannot be stopped without isolation, so its thread is "
                       "given up"),
              std::string::npos)
        << log;
    auto report = std::get<Finished>(std::get<Send>(actions[2]).message);
    EXPECT_EQ(report.task, 1u);
    EXPECT_EQ(report.outcome, Outcome::error);
    auto failure = decode_failure(report.payload);
    EXPECT_EQ(failure.type_name, "taskfarm::Timeout");
    EXPECT_EQ(failure.message, "ran 1.05 s, over its timeout of 1 s");
    EXPECT_EQ(failure.attempts, 1);
    EXPECT_EQ(actions[3], WorkerAction(done(1, true, 1050ms, report.payload.size())));
    EXPECT_EQ(actions[4], WorkerAction(StartThread{1}));
    EXPECT_EQ(state.threads_given_up(), 1u);
    EXPECT_EQ(state.tasks_running(), 0u);

    state.time_passed(t0 + 2s);
    EXPECT_TRUE(state.take_actions().empty()) << "reported once";
    state.thread_started(1);
    std::vector<WorkerAction> replacement{execute(1, task(2))};
    EXPECT_EQ(state.take_actions(), replacement);
    state.attempt_finished(0, value("late"));
    EXPECT_TRUE(state.take_actions().empty()) << "the given-up thread's late result is dropped";
}

TEST(WorkerState, ATimedOutTaskWithRunsLeftIsRetried) {
    auto state = started_worker(worker_options(1));
    state.run(timed(1, 1s, 1));
    state.take_actions();
    state.attempt_started(0, t0);
    state.time_passed(t0 + 2s);
    auto sends = only<Send>(state.take_actions());
    std::vector<Send> expected{{scheduler_rank, Retry{next_attempt(timed(1, 1s, 1))}}};
    EXPECT_EQ(sends, expected);
}

TEST(WorkerState, AChunksLimitIsItsElementCountTimesTheTimeout) {
    auto state = started_worker(worker_options(1));
    auto chunk = timed(1, 1s);
    chunk.elements = 3;
    state.run(chunk);
    state.take_actions();
    state.attempt_started(0, t0);
    state.time_passed(t0 + 2900ms);
    EXPECT_TRUE(state.take_actions().empty());
    state.time_passed(t0 + 3100ms);
    EXPECT_EQ(only<GiveUpThread>(state.take_actions()).size(), 1u);
}

TEST(WorkerState, IsolatedTasksAreNotWatched) {
    auto options = worker_options(1);
    options.isolate = true;
    auto state = started_worker(options);
    EXPECT_EQ(state.tick_interval(), 0ns) << "no watchdog, no heartbeat: no tick";
    state.run(timed(1, 1s));
    state.take_actions();
    state.attempt_started(0, t0);
    state.time_passed(t0 + 1h);
    EXPECT_TRUE(state.take_actions().empty()) << "run_isolated stops it itself";
    EXPECT_EQ(state.threads_given_up(), 0u);
}

TEST(WorkerState, ThreadsThatCannotStartEndTheJobAtStartUp) {
    WorkerState state(worker_options(2), t0);
    state.start_executors();
    state.take_actions();
    state.thread_started(0);
    state.thread_start_failed(1, "Resource temporarily unavailable");
    std::vector<WorkerAction> expected{
        Log{"cannot start executor thread 2 of threads_per_worker=2: Resource temporarily unavailable; lower "
            "TASKFARM_THREADS_PER_WORKER"},
        EndJob{4}};
    EXPECT_EQ(state.take_actions(), expected);
}

TEST(WorkerState, AReplacementThatCannotStartLeavesTheWorkerAThreadShortOrEndsTheJob) {
    auto state = started_worker(worker_options(2));
    state.run(timed(1, 1s));
    state.run(timed(2, 1s));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_started(1, t0 + 500ms);
    state.time_passed(t0 + 1200ms);  // executor 0 given up; 2 asked for
    EXPECT_EQ(only<StartThread>(state.take_actions()), std::vector<StartThread>{StartThread{2}});
    state.thread_start_failed(2, "no threads");
    std::vector<WorkerAction> short_one{
        Log{"cannot start a thread to replace the one given up: no threads; this worker goes on with 1 executor thread"}};
    EXPECT_EQ(state.take_actions(), short_one);

    state.time_passed(t0 + 1600ms);  // executor 1 given up; 3 asked for
    EXPECT_EQ(only<StartThread>(state.take_actions()), std::vector<StartThread>{StartThread{3}});
    state.thread_start_failed(3, "no threads");
    std::vector<WorkerAction> none_left{Log{"cannot start a thread to replace the one given up: no threads; this worker "
                                            "has no executor thread left, so the job ends with status 1"},
                                        EndJob{1}};
    EXPECT_EQ(state.take_actions(), none_left);
}

// Heartbeats: every worker_timeout/4 from the start, on schedule.
TEST(WorkerState, HeartbeatsKeepTheirScheduleAndSkipWhatALongGapMissed) {
    auto options = worker_options(1);
    options.worker_timeout = 4s;
    WorkerState state(options, t0);
    EXPECT_EQ(state.tick_interval(), 50ms) << "the watchdog looks more often than the heartbeat is due";
    const std::vector<WorkerAction> heartbeat{Send{scheduler_rank, Heartbeat{}}};
    state.time_passed(t0 + 999ms);
    EXPECT_TRUE(state.take_actions().empty());
    state.time_passed(t0 + 1s);
    EXPECT_EQ(state.take_actions(), heartbeat);
    state.time_passed(t0 + 1500ms);
    EXPECT_TRUE(state.take_actions().empty());
    state.time_passed(t0 + 2040ms);  // a tick late: the next one is still due at 3 s
    EXPECT_EQ(state.take_actions(), heartbeat);
    state.time_passed(t0 + 2990ms);
    EXPECT_TRUE(state.take_actions().empty());
    state.time_passed(t0 + 3s);
    EXPECT_EQ(state.take_actions(), heartbeat);
    state.time_passed(t0 + 10500ms);  // the progress thread did not run for a while: one heartbeat, not seven
    EXPECT_EQ(state.take_actions(), heartbeat);
    state.time_passed(t0 + 11s);
    EXPECT_TRUE(state.take_actions().empty());
    state.time_passed(t0 + 11500ms);
    EXPECT_EQ(state.take_actions(), heartbeat);
}

TEST(WorkerState, TheTickFollowsTheHeartbeatWithIsolationAndNeverGoesBelowAMillisecond) {
    auto options = worker_options(1);
    options.isolate = true;
    options.worker_timeout = 4s;
    EXPECT_EQ(WorkerState(options, t0).tick_interval(), 1s);
    options.worker_timeout = std::chrono::microseconds(100);
    EXPECT_EQ(WorkerState(options, t0).tick_interval(), 1ms);
    options.isolate = false;
    options.worker_timeout = 0s;
    EXPECT_EQ(WorkerState(options, t0).tick_interval(), 50ms);
}

// The retry rule and the chunk format (detail/task.hpp).
TEST(RetryRule, AFailedRunRunsAgainWhileItsNumberIsAtMostTheRetries) {
    EXPECT_FALSE(has_runs_left(1, 0));
    EXPECT_TRUE(has_runs_left(1, 2));
    EXPECT_TRUE(has_runs_left(2, 2));
    EXPECT_FALSE(has_runs_left(3, 2));
    auto spec = task(1, 1);
    EXPECT_TRUE(runs_again(error(), spec));
    EXPECT_FALSE(runs_again(value("fine"), spec));
    spec.attempt = 2;
    EXPECT_FALSE(runs_again(error(), spec));
}

Bytes bytes(std::string text) { return Bytes(text.begin(), text.end()); }

std::vector<OutcomePlace> outcomes(std::span<const char> result) {
    std::vector<OutcomePlace> found;
    for_each_outcome(result, [&](const OutcomePlace& at) { found.push_back(at); });
    return found;
}

Bytes three_outcomes() {
    Bytes result;
    append_outcome(result, ElementOutcome::ok, bytes("first"));
    append_outcome(result, ElementOutcome::failed, bytes("why"));
    append_outcome(result, ElementOutcome::ok, {});
    return result;
}

TEST(ChunkFormat, OutcomesReadBackAsWritten) {
    auto result = three_outcomes();
    auto found = outcomes(result);
    ASSERT_EQ(found.size(), 3u);
    constexpr std::size_t header = 9;
    EXPECT_TRUE(found[0].ok);
    EXPECT_EQ(found[0].offset, header);
    EXPECT_EQ(std::string(result.data() + found[0].offset, found[0].size), "first");
    EXPECT_FALSE(found[1].ok);
    EXPECT_EQ(found[1].offset, 2 * header + 5);
    EXPECT_EQ(std::string(result.data() + found[1].offset, found[1].size), "why");
    EXPECT_TRUE(found[2].ok);
    EXPECT_EQ(found[2].size, 0u);
    EXPECT_EQ(found[2].offset, result.size());
    EXPECT_TRUE(outcomes({}).empty());
}

TEST(ChunkFormat, ReadingStopsWhereTheBytesAreCutShort) {
    auto result = three_outcomes();
    result.pop_back();  // the last outcome's size is cut
    EXPECT_EQ(outcomes(result).size(), 2u);
    Bytes longer;
    append_outcome(longer, ElementOutcome::ok, bytes("first"));
    append_outcome(longer, ElementOutcome::ok, bytes("second"));
    longer.pop_back();  // the last outcome's bytes are one short
    EXPECT_EQ(outcomes(longer).size(), 1u);
    std::uint64_t huge = ~std::uint64_t{0};
    std::memcpy(longer.data() + 1, &huge, sizeof huge);  // a size past the end, which must not wrap around
    EXPECT_TRUE(outcomes(longer).empty());
}

TEST(ChunkFormat, ReadingStopsAtAnOutcomeByteThatIsNeitherOkNorFailed) {
    auto result = three_outcomes();
    result[9 + 5] = 7;  // the second outcome's byte
    EXPECT_EQ(outcomes(result).size(), 1u);
}

// Task graphs (issue 14): inputs held here are used in place, others fetched once from
// their holders; a failed input fails its task unrun.
TaskSpec with_inputs(TaskId id, std::vector<TaskInput> inputs) {
    auto spec = task(id);
    spec.inputs = std::move(inputs);
    return spec;
}

InputBytes input_bytes(std::string text) {
    auto owner = std::make_shared<const Bytes>(text.begin(), text.end());
    return {owner, 0, owner->size()};
}

TEST(WorkerState, AnInputHeldHereIsUsedInPlace) {
    auto state = started_worker(worker_options(1), 2);
    state.run(task(1));
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("abc"));
    state.take_actions();
    state.run(with_inputs(2, {{1, 0, 2}}));
    auto executes = only<Execute>(state.take_actions());
    ASSERT_EQ(executes.size(), 1u);
    ASSERT_EQ(executes[0].inputs.size(), 1u);
    EXPECT_EQ(executes[0].inputs[0], input_bytes("abc"));
    state.release(1);  // the running task's copy of the input stays valid
    EXPECT_EQ(executes[0].inputs[0], input_bytes("abc"));
}

TEST(WorkerState, InputsHeldElsewhereAreFetchedOnceAndTheTaskWaitsForThem) {
    auto state = started_worker(worker_options(1), 2);
    state.run(with_inputs(5, {{1, 0, 3}, {1, 0, 3}, {2, 4, 4}}));
    state.run(with_inputs(6, {{1, 0, 3}}));
    std::vector<WorkerAction> asked{Send{3, FetchInput{1, 0}}, Send{4, FetchInput{2, 4}}};
    EXPECT_EQ(state.take_actions(), asked) << "one FetchInput per input, however many tasks wait for it";
    EXPECT_EQ(state.tasks_fetching_inputs(), 2u);
    EXPECT_EQ(state.queued(), 0u);
    state.input(Input{1, 0, Outcome::value, Bytes{'x'}});
    auto first = only<Execute>(state.take_actions());
    ASSERT_EQ(first.size(), 1u) << "task 6 has all it needs";
    EXPECT_EQ(first[0].spec->task, 6u);
    state.input(Input{2, 4, Outcome::value, Bytes{'y'}});
    EXPECT_TRUE(state.take_actions().empty()) << "the executor is busy: task 5 is queued";
    EXPECT_EQ(state.queued(), 1u);
    state.attempt_started(0, t0);
    state.attempt_finished(0, value("r6"));
    auto second = only<Execute>(state.take_actions());
    ASSERT_EQ(second.size(), 1u);
    std::vector<InputBytes> expected{input_bytes("x"), input_bytes("x"), input_bytes("y")};
    EXPECT_EQ(second[0].inputs, expected);
    EXPECT_EQ(state.tasks_fetching_inputs(), 0u);
}

TEST(WorkerState, AFailedInputFailsTheTaskUnrunAndItsFailureIsKept) {
    auto state = started_worker(worker_options(1), 2);
    state.run(with_inputs(5, {{1, 0, 3}}));
    state.take_actions();
    state.input(Input{1, 0, Outcome::error, encode_failure({"std::runtime_error", "boom", 3, "node3", 1})});
    auto actions = state.take_actions();
    EXPECT_TRUE(only<Execute>(actions).empty());
    auto sends = only<Send>(actions);
    ASSERT_EQ(sends.size(), 2u);
    auto& finished = std::get<Finished>(sends[0].message);
    EXPECT_EQ(finished.outcome, Outcome::error);
    auto failure = decode_failure(finished.payload);
    EXPECT_EQ(failure.cause, TaskError::Cause::dependency);
    EXPECT_EQ(failure.type_name, "std::runtime_error");
    EXPECT_EQ(failure.rank, 3) << "where the input failed";
    EXPECT_NE(failure.message.find("task 1"), std::string::npos) << failure.message;
    EXPECT_NE(failure.message.find("boom"), std::string::npos) << failure.message;
    EXPECT_EQ(sends[1], (Send{scheduler_rank, Done{5, true, 0, finished.payload.size()}})) << "it never ran; its failure is kept here";
    state.fetch_input(4, FetchInput{5, 0});
    auto passed_on = std::get<Input>(only<Send>(state.take_actions()).at(0).message);
    EXPECT_EQ(passed_on.outcome, Outcome::error);
    EXPECT_EQ(decode_failure(passed_on.payload).message, failure.message) << "a chain keeps naming its first failure";
}

TEST(WorkerState, FetchInputAnswersAnElementOfAChunkOrSaysItIsGone) {
    auto state = started_worker(worker_options(1), 2);
    Bytes chunk;
    append_outcome(chunk, ElementOutcome::ok, Bytes{'a'});
    append_outcome(chunk, ElementOutcome::failed, encode_failure({"std::out_of_range", "odd 1", 2, "node2", 1}));
    append_outcome(chunk, ElementOutcome::ok, Bytes{'c', 'c'});
    auto chunk_task = task(10);
    chunk_task.elements = 3;
    state.run(chunk_task);
    state.take_actions();
    state.attempt_started(0, t0);
    state.attempt_finished(0, {Outcome::value, chunk, 3ms});
    state.take_actions();
    state.fetch_input(3, FetchInput{10, 3});
    state.fetch_input(3, FetchInput{10, 2});
    state.fetch_input(3, FetchInput{10, 9});
    state.fetch_input(3, FetchInput{77, 0});
    auto sends = only<Send>(state.take_actions());
    ASSERT_EQ(sends.size(), 4u);
    EXPECT_EQ(sends[0], (Send{3, Input{10, 3, Outcome::value, Bytes{'c', 'c'}}}));
    auto failed = std::get<Input>(sends[1].message);
    EXPECT_EQ(failed.outcome, Outcome::error);
    EXPECT_EQ(decode_failure(failed.payload).message, "odd 1");
    EXPECT_EQ(std::get<Input>(sends[2].message).outcome, Outcome::error) << "no such element";
    auto gone = decode_failure(std::get<Input>(sends[3].message).payload);
    EXPECT_EQ(gone.cause, TaskError::Cause::dependency);
    EXPECT_NE(gone.message.find("released"), std::string::npos) << gone.message;
}

TEST(WorkerState, ReleaseDropsATaskWaitingForItsInputs) {
    auto state = started_worker(worker_options(1), 2);
    state.run(with_inputs(5, {{1, 0, 3}}));
    state.take_actions();
    state.release(5);
    std::vector<WorkerAction> dropped{Send{scheduler_rank, Done{5, false, 0}}};
    EXPECT_EQ(state.take_actions(), dropped);
    state.input(Input{1, 0, Outcome::value, Bytes{'x'}});
    EXPECT_TRUE(state.take_actions().empty()) << "nobody waits for it any more";
    EXPECT_EQ(state.tasks_fetching_inputs(), 0u);
}

TEST(WorkerState, LargeArgumentsComeFromTheClientAndARetryLeavesThemThere) {
    auto state = started_worker(worker_options(1), 2);
    auto large = task(7, 1);
    large.args.clear();
    large.args_at_client = true;
    state.run(large);
    std::vector<WorkerAction> asked{Send{client_rank, FetchInput{7, args_element}}};
    EXPECT_EQ(state.take_actions(), asked);
    state.input(Input{7, args_element, Outcome::value, Bytes{'A', 'R', 'G', 'S'}});
    auto executes = only<Execute>(state.take_actions());
    ASSERT_EQ(executes.size(), 1u);
    EXPECT_EQ(executes[0].spec->args, (Bytes{'A', 'R', 'G', 'S'}));
    EXPECT_TRUE(executes[0].inputs.empty()) << "arguments are not an input";
    state.attempt_started(0, t0);
    state.attempt_finished(0, error());
    auto retry = std::get<Retry>(only<Send>(state.take_actions()).at(0).message);
    EXPECT_TRUE(retry.spec.args.empty()) << "the client keeps them: they do not pass the scheduler";
    EXPECT_TRUE(retry.spec.args_at_client);
}

TEST(WorkerState, ArgumentsTheClientNoLongerHasEndTheTaskUnrun) {
    auto state = started_worker(worker_options(1), 2);
    auto large = task(8);
    large.args.clear();
    large.args_at_client = true;
    state.run(large);
    state.take_actions();
    auto gone = encode_failure({"taskfarm::MissingInput", "let go", 1, "client", 1, TaskError::Cause::dependency});
    state.input(Input{8, args_element, Outcome::error, gone});
    std::vector<WorkerAction> ended{Send{client_rank, Finished{8, Outcome::error, gone}},
                                    Send{scheduler_rank, Done{8, false, 0}}};
    EXPECT_EQ(state.take_actions(), ended);
    EXPECT_EQ(state.tasks_fetching_inputs(), 0u);
}

// Rank 2 of a farm with Options::trace: it records events.
WorkerState tracing_worker() {
    auto options = worker_options(1);
    options.trace = "trace.json";
    return started_worker(options, 2);
}

std::int64_t ns(Clock::time_point t) { return t.time_since_epoch().count(); }

// Options::trace: each run of a task, with when it came, started and ended, its bytes in and
// out, goes to the client when it asks, with the worker's counts at that moment.
TEST(WorkerState, RecordsEachRunForTheTraceAndSendsItWhenAsked) {
    auto state = tracing_worker();
    state.received(0, detail::Run{task(5)}, t0 + 1ms);
    EXPECT_EQ(state.take_actions(), std::vector<WorkerAction>{execute(0, task(5))});
    ASSERT_TRUE(state.attempt_started(0, t0 + 2ms));
    state.attempt_finished(0, value("result", 3ms));
    state.take_actions();  // Finished, Done
    state.received(client_rank, CollectEvents{42}, t0 + 10ms);
    EventBatch expected{.attempts = {{5, 1, 0, ns(t0 + 1ms), ns(t0 + 2ms), ns(t0 + 5ms), 1, 4, 6, 0, 0}},
                        .counters = {{ns(t0 + 10ms), 0, 0, 6, 1}}};
    auto sent = state.take_actions();
    ASSERT_EQ(sent.size(), 1u);
    const auto& events = std::get<Events>(std::get<Send>(sent[0]).message);
    EXPECT_EQ(std::get<Send>(sent[0]).destination, client_rank);
    EXPECT_EQ(events.asked_at, 42);
    EXPECT_EQ(events.sent_at, ns(t0 + 10ms));
    EXPECT_EQ(decode_events(events.batch), expected) << "the run (4 bytes of arguments, 6 of result); 6 bytes held, 1 task done";
    state.received(client_rank, CollectEvents{43}, t0 + 20ms);
    auto again = state.take_actions();
    ASSERT_EQ(again.size(), 1u);
    EXPECT_TRUE(decode_events(std::get<Events>(std::get<Send>(again[0]).message).batch).attempts.empty())
        << "each run is sent once";
}

// A map's chunk: its run, and apart each run of each element, in the order they ran; sent
// unasked once 8192 runs have gathered.
TEST(WorkerState, RecordsAChunksElementRunsAndSendsThemOnceManyHaveGathered) {
    auto state = tracing_worker();
    auto chunk = task(10);
    chunk.elements = 4096;
    auto run_chunk = [&](Clock::time_point at) {
        state.received(0, detail::Run{chunk}, at);
        state.take_actions();
        EXPECT_TRUE(state.attempt_started(0, at));
        auto result = value("results", 3ms);
        for (std::uint32_t i = 0; i < chunk.elements; ++i) result.element_runs.push_back({i, 1, i != 7, ns(at) + i + 1});
        state.attempt_finished(0, std::move(result));
        return state.take_actions();
    };
    for (auto action : run_chunk(t0))
        EXPECT_FALSE(std::holds_alternative<Send>(action) && std::holds_alternative<Events>(std::get<Send>(action).message))
            << "4097 runs: kept until asked";
    chunk.task = 5000;
    auto sent = run_chunk(t0 + 10ms);
    std::optional<EventBatch> batch;
    for (const auto& action : sent)
        if (const auto* message = std::get_if<Send>(&action); message && std::holds_alternative<Events>(message->message))
            batch = decode_events(std::get<Events>(message->message).batch);
    ASSERT_TRUE(batch) << "8194 runs: sent unasked";
    ASSERT_EQ(batch->attempts.size(), 2u);
    EXPECT_EQ(batch->attempts[0].elements, 4096u);
    EXPECT_EQ(batch->attempts[0].element_runs, 4096u);
    EXPECT_EQ(batch->attempts[1].task, 5000u);
    ASSERT_EQ(batch->element_runs.size(), 8192u);
    EXPECT_EQ(batch->element_runs[7], (ElementRun{7, 1, false, ns(t0) + 8}));
    EXPECT_EQ(batch->element_runs[4096], (ElementRun{0, 1, true, ns(t0 + 10ms) + 1}));
}

TEST(WorkerState, RecordsAnInputThatCameFromAnotherRank) {
    auto state = tracing_worker();
    auto spec = task(9);
    spec.inputs = {{7, 0, 3}};
    state.received(0, detail::Run{spec}, t0 + 1ms);
    state.take_actions();  // FetchInput to rank 3
    state.received(3, Input{7, 0, Outcome::value, Bytes(100, 'x')}, t0 + 4ms);
    state.take_actions();
    state.received(client_rank, CollectEvents{1}, t0 + 5ms);
    auto sent = state.take_actions();
    ASSERT_EQ(sent.size(), 1u);
    auto batch = decode_events(std::get<Events>(std::get<Send>(sent.back()).message).batch);
    EXPECT_EQ(batch.transfers, (std::vector<TransferEvent>{{7, 3, 100, ns(t0 + 1ms), ns(t0 + 4ms)}}));
}

TEST(WorkerState, WithoutATraceNothingIsRecorded) {
    auto state = started_worker(worker_options(1), 2);
    EXPECT_FALSE(state.records_events());
    for (TaskId id = 1; id <= 10'000; ++id) {
        state.received(0, detail::Run{task(id)});
        state.take_actions();
        ASSERT_TRUE(state.attempt_started(0, t0));
        state.attempt_finished(0, value("r"));
        for (const auto& action : state.take_actions())
            ASSERT_FALSE(std::holds_alternative<Send>(action) &&
                         std::holds_alternative<Events>(std::get<Send>(action).message));
    }
}

}  // namespace
}  // namespace taskfarm::detail
