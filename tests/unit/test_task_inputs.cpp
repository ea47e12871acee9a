// Futures as arguments, the invoker's half: without a farm, each test calls the registered
// invoker the way a worker does, with RunContext::inputs holding the results of the Future
// arguments as their tasks encoded them (to_bytes of the value).
#include "failure.hpp"  // decode_failure: how the undecodable cases are told apart

#include <taskfarm/detail/task.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace taskfarm::detail;
using taskfarm::Bytes;
using taskfarm::Future;
using taskfarm::TaskError;

int twice(int x) { return 2 * x; }
std::size_t length(const std::string& text) { return text.size(); }
int sum(std::vector<int> values) { return std::accumulate(values.begin(), values.end(), 0); }
std::size_t count(const std::vector<std::string>& texts) { return texts.size(); }
std::string describe(int a, const std::string& b, double c, const std::vector<int>& d, int e) {
    std::string text = std::to_string(a) + " " + b + " " + std::to_string(c) + " [";
    for (int x : d) text += std::to_string(x) + ",";
    return text + "] " + std::to_string(e);
}

struct Scale {  // a function object whose state travels with the task
    double factor = 1;
    double operator()(double x) const { return factor * x; }
    template <class Archive>
    void serialize(Archive& archive) {
        archive(factor);
    }
};

struct Weighted {  // state, a Future's result and a vector of them
    int weight = 1;
    int operator()(int base, const std::vector<int>& values) const {
        return base + weight * std::accumulate(values.begin(), values.end(), 0);
    }
    template <class Archive>
    void serialize(Archive& archive) {
        archive(weight);
    }
};

// A Future with no task: enough for encode, which writes only the input markers.
template <class T>
Future<T> no_task() {
    return FutureAccess::make<T>(nullptr);
}

template <class T>
std::vector<Future<T>> no_tasks(std::size_t n) {
    return std::vector<Future<T>>(n, no_task<T>());
}

// The results a worker would hand the invoker: each value as its task encoded it.
class Inputs {
public:
    template <class... Ts>
    explicit Inputs(const Ts&... values) {
        (add(values), ...);
    }
    template <class T>
    void add(const T& value) {
        results_.push_back(to_bytes(value));
    }
    void add_bytes(Bytes bytes) { results_.push_back(std::move(bytes)); }
    RunContext context() {
        spans_.assign(results_.begin(), results_.end());
        RunContext context;
        context.inputs = spans_;
        return context;
    }

private:
    std::vector<Bytes> results_;
    std::vector<std::span<const char>> spans_;
};

// Runs fn(args...) as a worker would, the Futures among args taking their results from inputs.
template <class Fn, class... Args>
Bytes invoke(Inputs& inputs, Fn fn, const Args&... args) {
    using Kind = task_kind_t<Fn, Args...>;
    static_assert(Kind::has_inputs);
    auto code = Kind::code(fn);
    return find_invoker(code.invoker)(code.function, Kind::encode(fn, args...), inputs.context());
}

template <class Result, class Fn, class... Args>
Result run(Inputs inputs, Fn fn, const Args&... args) {
    return from_bytes<Result>(invoke(inputs, fn, args...));
}

// The failure a worker would report for what the invoker threw.
template <class Call>
TaskFailure failure_of(Call&& call) {
    try {
        call();
    } catch (...) {
        return decode_failure(encode_current_exception());
    }
    ADD_FAILURE() << "the invoker did not throw";
    return {};
}

TEST(TaskInputs, FutureArgumentsAreStoredAsInputSlots) {
    using PlainSlots = StoredArgs<decltype(&describe), Future<int>, const char*, Future<double>,
                                  std::vector<Future<int>>, int>::type;
    static_assert(std::is_same_v<PlainSlots, std::tuple<InputOf<int>, std::string, InputOf<double>, InputsOf<int>, int>>);
    auto lambda = [](double x, std::vector<double> y) { return x * static_cast<double>(y.size()); };
    using LambdaSlots = StoredArgs<decltype(lambda), Future<double>, std::vector<Future<double>>>::type;
    static_assert(std::is_same_v<LambdaSlots, std::tuple<InputOf<double>, InputsOf<double>>>);
    static_assert(task_kind_t<decltype(&twice), Future<int>>::has_inputs);
    static_assert(!task_kind_t<decltype(&twice), int>::has_inputs);
}

TEST(TaskInputs, ArgumentsTheFunctionCannotTakeMakeAnUnsendableTask) {
    // Only the kind is named here: its message would be the compiler's error (tests/compile_fail).
    static_assert(std::is_same_v<task_kind_t<decltype(&length), Future<int>>,
                                 UnsendableTask<decltype(&length), ResultNotTaken<int, const std::string&>>>);
    static_assert(std::is_same_v<task_kind_t<decltype(&sum), std::vector<Future<long>>>,
                                 UnsendableTask<decltype(&sum), ResultsNotTaken<long, std::vector<int>>>>);
    static_assert(std::is_same_v<task_kind_t<decltype(&twice), Future<void>>,
                                 UnsendableTask<decltype(&twice), ResultlessFuture>>);
    int (*takes_future)(Future<int>) = nullptr;
    static_assert(std::is_same_v<task_kind_t<decltype(takes_future), Future<int>>,
                                 UnsendableTask<decltype(takes_future), FutureParameter<Future<int>>>>);
    auto lambda = [](const std::string& text) { return text.size(); };
    static_assert(std::is_same_v<task_kind_t<decltype(lambda), Future<int>>,
                                 UnsendableTask<decltype(lambda), InputOf<int>>>);
    static_assert(std::is_same_v<task_kind_t<decltype(lambda), Future<int>>::Result, std::size_t>,
                  "the Future it returns has the type the function declares, so the caller's code adds no error");
}

TEST(TaskInputs, FutureArgumentsEncodeAsMarkersOnly) {
    using Kind = task_kind_t<decltype(&describe), Future<int>, const char*, Future<double>, std::vector<Future<int>>, int>;
    auto bytes = Kind::encode(&describe, no_task<int>(), "b", no_task<double>(), no_tasks<int>(3), 7);
    EXPECT_EQ(bytes, to_bytes(std::string("b"), std::uint64_t{3}, 7)) << "nothing for a Future, a count for a vector";
}

TEST(TaskInputs, APlainFunctionTakesTheResultByValue) {
    EXPECT_EQ(run<int>(Inputs(21), &twice, no_task<int>()), 42);
}

TEST(TaskInputs, APlainFunctionTakesTheResultByConstReference) {
    EXPECT_EQ(run<std::size_t>(Inputs(std::string("hello")), &length, no_task<std::string>()), 5u);
}

TEST(TaskInputs, ALambdaTakesTheResult) {
    auto scale = [](double x, int n) { return x * n; };
    EXPECT_DOUBLE_EQ(run<double>(Inputs(1.5), scale, no_task<double>(), 4), 6.0);
    auto by_reference = [](const std::string& a, const std::string& b) { return a + b; };
    EXPECT_EQ(run<std::string>(Inputs(std::string("farm")), by_reference, std::string("task"), no_task<std::string>()),
              "taskfarm");
}

TEST(TaskInputs, AStatefulFunctionObjectTakesTheResult) {
    EXPECT_DOUBLE_EQ(run<double>(Inputs(4.0), Scale{2.5}, no_task<double>()), 10.0);
    EXPECT_EQ(run<int>(Inputs(1, 2, 3), Weighted{10}, 5, no_tasks<int>(3)), 65);
    EXPECT_EQ(run<int>(Inputs(100, 1, 2), Weighted{2}, no_task<int>(), no_tasks<int>(2)), 106);
}

TEST(TaskInputs, OrdinaryAndFutureArgumentsMixInAnyPosition) {
    // The inputs come in argument order: a, c, then d's elements.
    Inputs inputs(1, 2.5, 10, 20, 30);
    EXPECT_EQ(run<std::string>(inputs, &describe, no_task<int>(), "b", no_task<double>(), no_tasks<int>(3), 7),
              "1 b 2.500000 [10,20,30,] 7");
    Inputs others(std::string("b"), 99);
    EXPECT_EQ(run<std::string>(others, &describe, 1, no_task<std::string>(), 2.5, std::vector<int>{4}, no_task<int>()),
              "1 b 2.500000 [4,] 99");
    auto lambda = [](const std::string& a, int b, std::vector<std::string> c, const std::string& d) {
        std::string text = a + std::to_string(b);
        for (auto& x : c) text += x;
        return text + d;
    };
    Inputs lambda_inputs(0, std::string("x"), std::string("y"), std::string("z"));
    EXPECT_EQ(run<std::string>(lambda_inputs, lambda, std::string("<"), no_task<int>(), no_tasks<std::string>(2),
                               no_task<std::string>()),
              "<0xyz");
}

TEST(TaskInputs, AVectorOfFuturesIsPassedAsAVectorOfResults) {
    EXPECT_EQ(run<int>(Inputs(1, 2, 3, 4), &sum, no_tasks<int>(4)), 10);
    EXPECT_EQ(run<std::size_t>(Inputs(std::string("a"), std::string("bc")), &count, no_tasks<std::string>(2)), 2u);
}

TEST(TaskInputs, AnEmptyVectorOfFuturesTakesNoInput) {
    EXPECT_EQ(run<int>(Inputs(), &sum, no_tasks<int>(0)), 0);
    EXPECT_EQ(run<std::size_t>(Inputs(), &count, no_tasks<std::string>(0)), 0u);
}

TEST(TaskInputs, AThousandFuturesInOneVector) {
    Inputs inputs;
    for (int i = 1; i <= 1000; ++i) inputs.add(i);
    EXPECT_EQ(run<int>(inputs, &sum, no_tasks<int>(1000)), 500500);
}

TEST(TaskInputs, AFunctionReturningNothingTakesTheResultToo) {
    static int seen = 0;
    auto keep = [](int x) { seen = x; };
    Inputs inputs(17);
    EXPECT_TRUE(invoke(inputs, keep, no_task<int>()).empty());
    EXPECT_EQ(seen, 17);
}

TEST(TaskInputs, TooFewInputsMakeTheArgumentsUndecodable) {
    Inputs one(1);
    auto failure = failure_of([&] { invoke(one, &describe, no_task<int>(), "b", no_task<double>(), no_tasks<int>(3), 7); });
    EXPECT_EQ(failure.cause, TaskError::Cause::undecodable);
    EXPECT_NE(failure.message.find("more inputs than the 1 it was given"), std::string::npos) << failure.message;

    Inputs none;
    EXPECT_EQ(failure_of([&] { invoke(none, &twice, no_task<int>()); }).cause, TaskError::Cause::undecodable);
    EXPECT_EQ(failure_of([&] { invoke(none, Scale{2}, no_task<double>()); }).cause, TaskError::Cause::undecodable);
    Inputs short_of_the_count(1, 2);
    EXPECT_EQ(failure_of([&] { invoke(short_of_the_count, &sum, no_tasks<int>(3)); }).cause,
              TaskError::Cause::undecodable);
}

TEST(TaskInputs, MoreInputsThanTheArgumentsTakeMakeThemUndecodable) {
    Inputs two(1, 2);
    auto failure = failure_of([&] { invoke(two, &twice, no_task<int>()); });
    EXPECT_EQ(failure.cause, TaskError::Cause::undecodable);
    EXPECT_NE(failure.message.find("more than its Future arguments take"), std::string::npos) << failure.message;
}

TEST(TaskInputs, AnInputThatDoesNotDecodeMakesTheArgumentsUndecodable) {
    Inputs cut;
    auto text = to_bytes(std::string("a result cut short"));
    text.resize(text.size() - 4);
    cut.add_bytes(text);
    EXPECT_EQ(failure_of([&] { invoke(cut, &length, no_task<std::string>()); }).cause, TaskError::Cause::undecodable);
    Inputs too_short_for_an_int;
    too_short_for_an_int.add_bytes(Bytes(2, 'x'));
    EXPECT_EQ(failure_of([&] { invoke(too_short_for_an_int, &sum, no_tasks<int>(1)); }).cause,
              TaskError::Cause::undecodable);
}

TEST(TaskInputs, AMapOfFuturesIsNeverChunkedButAChunkWouldTakeItsInputsInOrder) {
    // Client::map, the lazy maps and submit_elements send a task per element when has_inputs.
    using Kind = task_kind_t<decltype(&twice), Future<int>>;
    static_assert(Kind::has_inputs);
    // Were a chunk sent, its elements take the inputs one after the other.
    ChunkWriter writer;
    writer.start(&twice);
    for (int i = 0; i < 3; ++i) Kind::add_element(writer, no_task<int>());
    auto args = writer.finish();
    auto chunk_code = Kind::code(&twice, /*chunk=*/true);
    auto outcomes = [&](Inputs inputs) {
        auto result = find_invoker(chunk_code.invoker)(chunk_code.function, args, inputs.context());
        std::vector<std::string> seen;
        for_each_outcome(result, [&](const OutcomePlace& place) {
            auto bytes = std::span<const char>(result).subspan(place.offset, place.size);
            seen.push_back(place.ok ? std::to_string(from_bytes<int>(bytes))
                                    : std::string(taskfarm::to_string(decode_failure(bytes).cause)));
        });
        return seen;
    };
    EXPECT_EQ(outcomes(Inputs(1, 2, 3)), (std::vector<std::string>{"2", "4", "6"}));
    EXPECT_EQ(outcomes(Inputs(1)), (std::vector<std::string>{"2", "undecodable", "undecodable"}))
        << "an element without its input fails, and every one after it";
}

TEST(TaskInputs, InputsAreTheFutureArgumentsTasksInArgumentOrder) {
    // Tasks stand in for the farm's: TaskState is the client core's, and its destructor needs
    // one, so these pointers own nothing and are never dereferenced.
    alignas(std::max_align_t) static char places[5][64];
    auto task = [](int i) { return std::shared_ptr<TaskState>(std::shared_ptr<void>(), reinterpret_cast<TaskState*>(places[i])); };
    auto a = FutureAccess::make<int>(task(0));
    auto c = FutureAccess::make<double>(task(1));
    std::vector<Future<int>> d{FutureAccess::make<int>(task(2)), FutureAccess::make<int>(task(3)),
                               FutureAccess::make<int>(task(4))};
    using Kind = task_kind_t<decltype(&describe), Future<int>, const char*, Future<double>, std::vector<Future<int>>, int>;
    auto inputs = Kind::inputs(a, "b", c, d, 7);
    ASSERT_EQ(inputs.size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(inputs[i].get(), task(i).get()) << "input " << i;
    EXPECT_TRUE((task_kind_t<decltype(&twice), int>::inputs(3).empty()));
}

TEST(TaskInputs, AFutureWithoutATaskIsRefusedAsAnArgument) {
    using Kind = task_kind_t<decltype(&twice), Future<int>>;
    try {
        Kind::inputs(no_task<int>());
        FAIL() << "no UsageError";
    } catch (const taskfarm::UsageError& e) {
        EXPECT_STREQ(e.what(),
                     "taskfarm: a Future passed as an argument has no task (default-constructed or moved from)");
    }
    using VectorKind = task_kind_t<decltype(&sum), std::vector<Future<int>>>;
    EXPECT_THROW(VectorKind::inputs(no_tasks<int>(2)), taskfarm::UsageError);
}

}  // namespace
