// The configuration's rules for limits (config.cpp): timeouts (0 or inf for none, nothing
// under a nanosecond) and the most threads a worker may run.
#include "config.hpp"
#include "resources.hpp"

#include <taskfarm/error.hpp>

#include <gtest/gtest.h>

#include <fstream>

#include <sched.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace taskfarm::detail {
namespace {

using Seconds = std::chrono::duration<double>;

// effective_options with these --taskfarm-* flags.
Options with_flags(std::vector<std::string> flags, Options given = {}) {
    flags.insert(flags.begin(), "program");
    std::vector<char*> argv;
    for (auto& flag : flags) argv.push_back(flag.data());
    argv.push_back(nullptr);
    int argc = static_cast<int>(flags.size());
    return effective_options(given, argc, argv.data());
}

// The ConfigError's message, or "" when none was thrown.
template <class F>
std::string config_error(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

class ScopedVariable {
public:
    ScopedVariable(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
    ~ScopedVariable() { ::unsetenv(name_); }

private:
    const char* name_;
};

TEST(ConfigTimeout, SecondsBecomeNanoseconds) {
    EXPECT_EQ(timeout_nanoseconds(Seconds(1.5), "t"), 1'500'000'000u);
    EXPECT_EQ(timeout_nanoseconds(Seconds(30), "t"), 30'000'000'000u);
    EXPECT_EQ(timeout_nanoseconds(Seconds(1e-9), "t"), 1u);  // rounded to nearest, not truncated
    EXPECT_EQ(timeout_nanoseconds(Seconds(0.7e-9), "t"), 1u);
    EXPECT_EQ(with_flags({"--taskfarm-timeout=0.25"}).timeout, Seconds(0.25));
}

TEST(ConfigTimeout, ZeroInfAndCenturiesMeanNone) {
    EXPECT_EQ(timeout_nanoseconds(Seconds(0), "t"), 0u);
    EXPECT_EQ(timeout_nanoseconds(Seconds(std::numeric_limits<double>::infinity()), "t"), 0u);
    EXPECT_EQ(timeout_nanoseconds(Seconds(1e300), "t"), 0u);  // would overflow 64-bit nanoseconds
    EXPECT_EQ(timeout_nanoseconds(Seconds(1e10), "t"), 0u);   // 317 years
    EXPECT_EQ(timeout_nanoseconds(Seconds(99 * 365.25 * 24 * 3600), "t"), 3'124'202'400'000'000'000u);
    for (const char* none : {"0", "inf", "infinity", "INF", "Infinity", "1e400"}) {
        auto options = with_flags({std::string("--taskfarm-timeout=") + none, std::string("--taskfarm-worker-timeout=") + none});
        EXPECT_EQ(options.timeout.count(), 0) << none;  // none is written as 0
        EXPECT_EQ(options.worker_timeout.count(), 0) << none;
    }
    Options given;
    given.timeout = Seconds(std::numeric_limits<double>::infinity());
    given.worker_timeout = Seconds(std::numeric_limits<double>::infinity());
    auto options = with_flags({}, given);
    EXPECT_EQ(options.timeout.count(), 0);
    EXPECT_EQ(options.worker_timeout.count(), 0);
}

TEST(ConfigTimeout, UnderANanosecondIsRefused) {
    auto message = config_error([] { timeout_nanoseconds(Seconds(1e-12), "Options::timeout"); });
    EXPECT_NE(message.find("Options::timeout of 1e-12 s is under a nanosecond"), std::string::npos) << message;
    EXPECT_NE(message.find("0 or inf for none"), std::string::npos) << message;

    message = config_error([] { with_flags({"--taskfarm-timeout=1e-12"}); });
    EXPECT_NE(message.find("--taskfarm-timeout of 1e-12 s is under a nanosecond"), std::string::npos) << message;
    message = config_error([] { with_flags({"--taskfarm-timeout=1e-400"}); });  // reads as 0
    EXPECT_NE(message.find("--taskfarm-timeout of 1e-400 s is under a nanosecond"), std::string::npos) << message;
    message = config_error([] { with_flags({"--taskfarm-worker-timeout=4e-10"}); });
    EXPECT_NE(message.find("--taskfarm-worker-timeout of 4e-10 s"), std::string::npos) << message;
    {
        ScopedVariable variable("TASKFARM_TIMEOUT", "1e-12");
        message = config_error([] { with_flags({}); });
        EXPECT_NE(message.find("TASKFARM_TIMEOUT of 1e-12 s is under a nanosecond"), std::string::npos) << message;
    }
    Options given;
    given.timeout = Seconds(1e-12);
    message = config_error([&] { with_flags({}, given); });
    EXPECT_NE(message.find("Options::timeout of 1e-12 s"), std::string::npos) << message;
    given = {};
    given.worker_timeout = Seconds(1e-12);
    message = config_error([&] { with_flags({}, given); });
    EXPECT_NE(message.find("Options::worker_timeout of 1e-12 s"), std::string::npos) << message;
}

TEST(ConfigTimeout, NegativeNanAndTextAreRefused) {
    for (const char* bad : {"-1", "nan", "abc", "", "5s", "-inf"}) {
        auto message = config_error([&] { with_flags({std::string("--taskfarm-timeout=") + bad}); });
        EXPECT_NE(message.find("--taskfarm-timeout must be a number of seconds (0 or inf for none), not '" +
                               std::string(bad) + "'"),
                  std::string::npos)
            << message;
    }
    Options given;
    given.timeout = Seconds(-1);
    auto message = config_error([&] { with_flags({}, given); });
    EXPECT_NE(message.find("Options::timeout must be 0 or more seconds (0 or inf for none), not -1 s"), std::string::npos)
        << message;
    given = {};
    given.worker_timeout = Seconds(std::nan(""));
    EXPECT_NE(config_error([&] { with_flags({}, given); }).find("Options::worker_timeout"), std::string::npos);
}

// At submit the same rule throws the error a caller's mistake gets.
TEST(ConfigTimeout, AtSubmitTheErrorIsAUsageError) {
    EXPECT_THROW(timeout_nanoseconds<UsageError>(Seconds(1e-12), "taskfarm: TaskOptions::timeout"), UsageError);
    EXPECT_THROW(timeout_nanoseconds<UsageError>(Seconds(-1), "taskfarm: TaskOptions::timeout"), UsageError);
    EXPECT_EQ(timeout_nanoseconds<UsageError>(Seconds(2), "taskfarm: TaskOptions::timeout"), 2'000'000'000u);
}

TEST(ConfigThreads, AtMostWhatTheMachineCanRun) {
    auto limit = threads_per_worker_limit();
    EXPECT_GE(limit.most, 1);
    EXPECT_LE(limit.most, 4096);
    EXPECT_EQ(with_flags({"--taskfarm-threads-per-worker=" + std::to_string(limit.most)}).threads_per_worker, limit.most);

    auto message = config_error([] { with_flags({"--taskfarm-threads-per-worker=100000"}); });
    EXPECT_NE(message.find("--taskfarm-threads-per-worker must be at most " + std::to_string(limit.most) + " (" +
                           limit.set_by + "), not 100000"),
              std::string::npos)
        << message;
    {
        ScopedVariable variable("TASKFARM_THREADS_PER_WORKER", "100000");
        message = config_error([] { with_flags({}); });
        EXPECT_NE(message.find("TASKFARM_THREADS_PER_WORKER must be at most"), std::string::npos) << message;
    }
    Options given;
    given.threads_per_worker = 100000;
    message = config_error([&] { with_flags({}, given); });
    EXPECT_NE(message.find("Options::threads_per_worker must be at most"), std::string::npos) << message;
}

TEST(ConfigThreads, AProcessLimitBelowTheCapIsNamed) {
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NPROC, &saved), 0);
    // A soft limit may always be lowered, and raised back to the hard one.
    rlim_t target = 100;
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < target) target = saved.rlim_max;
    rlimit lowered = saved;
    lowered.rlim_cur = target;
    ASSERT_EQ(::setrlimit(RLIMIT_NPROC, &lowered), 0);
    auto limit = threads_per_worker_limit();
    auto at_limit = "--taskfarm-threads-per-worker=" + std::to_string(limit.most);
    auto over_limit = "--taskfarm-threads-per-worker=" + std::to_string(limit.most + 1);
    auto message = config_error([&] { with_flags({over_limit}); });
    auto accepted = config_error([&] { with_flags({at_limit}); });
    ASSERT_EQ(::setrlimit(RLIMIT_NPROC, &saved), 0);

    // The smaller of the lowered RLIMIT_NPROC and threads-max binds, and is named.
    long system_threads = 0;
    std::ifstream("/proc/sys/kernel/threads-max") >> system_threads;
    bool by_threads_max = system_threads > 0 && system_threads < static_cast<long>(target);
    EXPECT_EQ(limit.most, by_threads_max ? static_cast<int>(system_threads) : static_cast<int>(target));
    auto named = by_threads_max ? std::string("/proc/sys/kernel/threads-max")
                                : std::string("this process's RLIMIT_NPROC, ulimit -u");
    EXPECT_EQ(limit.set_by, named);
    EXPECT_NE(message.find("must be at most " + std::to_string(limit.most) + " (" + named + "), not " +
                           std::to_string(limit.most + 1)),
              std::string::npos)
        << message;
    EXPECT_EQ(accepted, "");
}

TEST(ConfigSeconds, ProgressIntervalMustBeFiniteAndPositive) {
    EXPECT_EQ(with_flags({"--taskfarm-progress-interval=0.1"}).progress_interval, Seconds(0.1));
    for (const char* bad : {"0", "inf", "-1", "x"})
        EXPECT_NE(config_error([&] { with_flags({std::string("--taskfarm-progress-interval=") + bad}); })
                      .find("--taskfarm-progress-interval must be a number of seconds more than 0"),
                  std::string::npos)
            << bad;
}

}  // namespace
}  // namespace taskfarm::detail

namespace taskfarm::detail {
namespace {

TEST(ConfigLocalWorkers, MinusOneMeansOnePerCoreAndZeroInline) {
    EXPECT_EQ(Options{}.local_workers, -1);
    EXPECT_EQ(local_workers_in_force(with_flags({})), cores_available());
    EXPECT_GE(cores_available(), 1);
    EXPECT_EQ(local_workers_in_force(with_flags({"--taskfarm-local-workers=0"})), 0);
    EXPECT_EQ(local_workers_in_force(with_flags({"--taskfarm-local-workers=5"})), 5);
}

TEST(ConfigLocalWorkers, CoresAreBoundedByTheAffinity) {
    cpu_set_t affinity;
    CPU_ZERO(&affinity);
    ASSERT_EQ(sched_getaffinity(0, sizeof affinity, &affinity), 0);
    EXPECT_LE(cores_available(), CPU_COUNT(&affinity));
}

TEST(ConfigLocalWorkers, NonsenseIsRefusedNamingItsSource) {
    EXPECT_NE(config_error([] { with_flags({"--taskfarm-local-workers=-2"}); })
                  .find("--taskfarm-local-workers must be a whole number of at least -1, not '-2'"),
              std::string::npos);
    EXPECT_NE(config_error([] { with_flags({"--taskfarm-local-workers=many"}); }).find("not 'many'"), std::string::npos);
    Options given;
    given.local_workers = -3;
    EXPECT_NE(config_error([&] { with_flags({}, given); }).find("Options::local_workers must be -1"), std::string::npos);
}

TEST(ConfigResources, WorkerResourcesAreReadFromTheVariableAndTheFlag) {
    ScopedVariable resources("TASKFARM_WORKER_RESOURCES", "gpu=2,ssd=1");
    EXPECT_EQ(with_flags({}).worker_resources, (std::map<std::string, double>{{"gpu", 2}, {"ssd", 1}}));
    EXPECT_EQ(with_flags({"--taskfarm-worker-resources=gpu=0.5"}).worker_resources,
              (std::map<std::string, double>{{"gpu", 0.5}}));
    EXPECT_TRUE(with_flags({"--taskfarm-worker-resources="}).worker_resources.empty());
}

TEST(ConfigResources, AmountsTravelAsTextWithoutLosingPrecision) {
    std::map<std::string, double> resources{{"mem", 7654321}, {"gpu", 1.0 / 3}, {"ssd", 1e-7}};
    EXPECT_EQ(parse_resources(resources_text(resources)), resources);
    EXPECT_TRUE(parse_resources(resources_text(std::map<std::string, double>{})).empty());
}

TEST(ConfigResources, BadWorkerResourcesAreRefusedNamingTheSource) {
    for (const char* bad : {"gpu", "gpu=", "=1", "gpu=-1", "gpu=x", "gpu=1,gpu=2", "gpu=inf"}) {
        ScopedVariable resources("TASKFARM_WORKER_RESOURCES", bad);
        EXPECT_NE(config_error([] { with_flags({}); }).find("TASKFARM_WORKER_RESOURCES"), std::string::npos) << bad;
    }
    for (auto bad : {std::map<std::string, double>{{"gpu", -1}}, std::map<std::string, double>{{"g,pu", 1}}}) {
        Options given;
        given.worker_resources = bad;
        EXPECT_NE(config_error([&] { with_flags({}, given); }).find("worker_resources"), std::string::npos);
    }
}

}  // namespace
}  // namespace taskfarm::detail
