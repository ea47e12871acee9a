#include <taskfarm/detail/task.hpp>

#include <gtest/gtest.h>

namespace {

int triple(int x) { return 3 * x; }
std::string greet(const std::string& name) { return "hello " + name; }

template <class Result, class Fn, class... Args>
Result call_through_bytes(Fn fn, Args... args) {
    using namespace taskfarm::detail;
    auto code = task_code<Fn, Args...>(fn);
    auto bytes = find_invoker(code.invoker)(code.function, to_bytes(args...));
    return from_bytes<Result>(bytes);
}

TEST(Registry, PlainFunctionsAreFoundByAddress) {
    EXPECT_EQ(call_through_bytes<int>(&triple, 14), 42);
    EXPECT_EQ(call_through_bytes<std::string>(&greet, std::string("farm")), "hello farm");
}

TEST(Registry, CapturelessLambdasNeedNoAddress) {
    auto add = [](int a, int b) { return a + b; };
    auto code = taskfarm::detail::task_code<decltype(add), int, int>(add);
    EXPECT_EQ(code.function.module, 0u);
    EXPECT_EQ(call_through_bytes<int>(add, 40, 2), 42);
}

TEST(Registry, AFunctionAddressRoundTrips) {
    using namespace taskfarm::detail;
    auto address = address_of_function(reinterpret_cast<const void*>(&triple));
    EXPECT_NE(address.module, 0u);
    EXPECT_EQ(function_at(address), reinterpret_cast<const void*>(&triple));
}

TEST(Registry, BadAddressesAndKeysAreRefused) {
    using namespace taskfarm::detail;
    auto address = address_of_function(reinterpret_cast<const void*>(&triple));
    EXPECT_THROW(function_at({address.module ^ 0x10, address.offset}), std::runtime_error);
    EXPECT_THROW(function_at({address.module, address.offset + (std::uint64_t(1) << 40)}), std::runtime_error);
    EXPECT_THROW(find_invoker(12345), std::runtime_error);
}

TEST(Registry, FingerprintIsStable) {
    EXPECT_EQ(taskfarm::detail::registry_fingerprint(), taskfarm::detail::registry_fingerprint());
}

}  // namespace
