#include <taskfarm/detail/task.hpp>

#include <gtest/gtest.h>

namespace {

int triple(int x) { return 3 * x; }
std::string greet(const std::string& name) { return "hello " + name; }

struct Scale {  // a function object whose state travels with the task
    double factor = 1;
    double operator()(double x) const { return factor * x; }
    template <class Archive>
    void serialize(Archive& archive) { archive(factor); }
};

template <class Result, class Fn, class... Args>
Result call_through_bytes(Fn fn, Args... args) {
    using namespace taskfarm::detail;
    using Kind = task_kind_t<Fn, Args...>;
    auto code = Kind::code(fn);
    auto bytes = find_invoker(code.invoker)(code.function, Kind::encode(fn, args...), RunContext{});
    return from_bytes<Result>(bytes);
}

TEST(Registry, PlainFunctionsAreFoundByAddress) {
    EXPECT_EQ(call_through_bytes<int>(&triple, 14), 42);
    EXPECT_EQ(call_through_bytes<std::string>(&greet, std::string("farm")), "hello farm");
}

TEST(Registry, PlainFunctionArgumentsAreStoredAsTheParameterTypes) {
    EXPECT_EQ(call_through_bytes<std::string>(&greet, "literal"), "hello literal");
    EXPECT_EQ(call_through_bytes<int>(&triple, 2.9), 6) << "2.9 converts to int 2 on the client";
}

TEST(Registry, CapturelessLambdasNeedNoAddress) {
    auto add = [](int a, int b) { return a + b; };
    auto code = taskfarm::detail::task_kind_t<decltype(add), int, int>::code(add);
    EXPECT_EQ(code.function.module, 0u);
    EXPECT_EQ(call_through_bytes<int>(add, 40, 2), 42);
}

TEST(Registry, FunctionObjectsCarryTheirState) {
    EXPECT_DOUBLE_EQ(call_through_bytes<double>(Scale{2.5}, 4.0), 10.0);
    EXPECT_DOUBLE_EQ(call_through_bytes<double>(Scale{-1}, 4.0), -4.0);
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

}  // namespace
