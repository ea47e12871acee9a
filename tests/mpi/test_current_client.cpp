// Code that finds the farm without being handed a Client, and one Client used from several
// client threads at once.
#include "farm.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

namespace {

long square(long x) { return x * x; }

// A library function that takes no Client: it finds the running farm (PMDA's run() does the same).
double mean_of_squares(const std::vector<long>& xs) {
    auto& client = taskfarm::current_client();
    auto squares = client.gather(client.map(square, xs));
    return double(std::accumulate(squares.begin(), squares.end(), 0L)) / double(squares.size());
}

TEST(CurrentClient, IsAHandleOnTheFarmsClient) {
    EXPECT_EQ(&taskfarm::current_client(), &taskfarm::current_client());
    EXPECT_EQ(taskfarm::current_client().workers(), test::client().workers());
    // One farm behind both: what one submits, the other gathers.
    auto futures = taskfarm::current_client().map(square, std::vector<long>{5, 6});
    EXPECT_EQ(test::client().gather(futures), (std::vector<long>{25, 36}));
    EXPECT_EQ(mean_of_squares({1, 2, 3, 4}), 7.5);
}

TEST(CurrentClient, InsideATaskIsAUsageError) {
    try {
        test::client().submit([](int x) { return taskfarm::current_client().workers() + x; }, 1).get();
        FAIL() << "current_client() worked inside a task";
    } catch (const taskfarm::TaskError& e) {
        EXPECT_EQ(e.type_name(), "taskfarm::UsageError");
        EXPECT_NE(e.message().find("inside a task"), std::string::npos) << e.what();
    }
}

// Four client threads at once, each submitting, mapping (a large map travels in chunks),
// cancelling and gathering; every result must be its own.
TEST(Client, IsSafeToUseFromSeveralThreadsAtOnce) {
    constexpr int threads = 4;
    std::vector<std::thread> clients;
    std::vector<int> failures(threads, 0);
    for (int t = 0; t < threads; ++t) {
        clients.emplace_back([t, &failures] {
            auto& client = taskfarm::current_client();
            auto& failed = failures[std::size_t(t)];
            std::vector<taskfarm::Future<long>> singles;
            for (long i = 0; i < 50; ++i) singles.push_back(client.submit(square, t * 1000 + i));
            std::vector<long> xs(12000);
            std::iota(xs.begin(), xs.end(), long(t) * 100000);
            auto mapped = client.map(square, xs);
            auto dropped = client.submit([](int ms) {
                std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                return ms;
            }, 200);
            dropped.cancel();
            for (long i = 0; i < 50; ++i) failed += singles[std::size_t(i)].get() != square(t * 1000 + i);
            auto results = client.gather(mapped);
            for (std::size_t i = 0; i < xs.size(); ++i) failed += results[i] != square(xs[i]);
            try {
                dropped.get();
                ++failed;
            } catch (const taskfarm::CancelledError&) {
            }
        });
    }
    for (auto& client : clients) client.join();
    for (int t = 0; t < threads; ++t) EXPECT_EQ(failures[std::size_t(t)], 0) << "thread " << t;
}

}  // namespace
