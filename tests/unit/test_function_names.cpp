// The trace's function names (function_names.hpp). unit_tests is linked without -rdynamic:
// the executable's own functions are in no dynamic symbol table, so these names can only
// come from reading .symtab out of the file.
#include "function_names.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cmath>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

// Distinct bodies, so that no two are folded into one by identical code folding.
namespace sample {
struct Point {
    double x = 0;
};
[[gnu::noinline]] double scaled(double x) { return 2.5 * x + 1; }
}  // namespace sample

extern "C" [[gnu::noinline]] int taskfarm_test_c_function(int x) { return x * x - 7; }

namespace {

[[gnu::noinline]] int hidden_twice(int x) { return 2 * x + 3; }

const char not_code[] = "data, not code";

using taskfarm::detail::demangled;
using taskfarm::detail::function_name_at;

const void* code_of(auto* function) { return reinterpret_cast<const void*>(function); }

TEST(FunctionNames, PlainFunctionsOfTheExecutableAreFoundWithoutRdynamic) {
    auto* hidden = &hidden_twice;
    auto* scaled = &sample::scaled;
    ASSERT_EQ(hidden(4), 11);  // called through the pointers, so that the functions exist
    ASSERT_EQ(scaled(2), 6);
    EXPECT_EQ(function_name_at(code_of(hidden)), "(anonymous namespace)::hidden_twice(int)");
    EXPECT_EQ(function_name_at(code_of(scaled)), "sample::scaled(double)");
}

TEST(FunctionNames, AnAddressInsideTheBodyNamesItsFunction) {
    auto* scaled = &sample::scaled;
    ASSERT_EQ(scaled(0), 1);
    EXPECT_EQ(function_name_at(reinterpret_cast<const char*>(code_of(scaled)) + 1), "sample::scaled(double)");
}

TEST(FunctionNames, CFunctionsKeepTheirNames) {
    auto* c_function = &taskfarm_test_c_function;
    ASSERT_EQ(c_function(3), 2);
    EXPECT_EQ(function_name_at(code_of(c_function)), "taskfarm_test_c_function");
}

TEST(FunctionNames, SharedLibraryFunctionsComeFromTheDynamicSymbolTable) {
    // qsort is a plain export of libc, asked of libc itself: in a non-PIE executable &qsort
    // would be the executable's PLT stub, which no symbol covers.
    void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(libc, nullptr) << dlerror();
    EXPECT_EQ(function_name_at(dlsym(libc, "qsort")), "qsort");
    EXPECT_EQ(function_name_at(dlsym(libc, "printf")), "printf") << "rather than its alias _IO_printf";
    dlclose(libc);
    // cos is an IFUNC on x86-64: its address is the variant chosen at load time (__cos_fma),
    // a local name that a stripped libm has no symbol for: "" or a name that says cos.
    double (*cosine)(double) = &std::cos;
    volatile double angle = 0;
    ASSERT_EQ(cosine(angle), 1.0);
    auto cos_name = function_name_at(code_of(cosine));
    EXPECT_TRUE(cos_name.empty() || cos_name.find("cos") != std::string::npos) << cos_name;
}

TEST(FunctionNames, CapturelessLambdasAreNamedAsLambdas) {
    int (*lambda)(int) = [](int x) { return x * 3 - 1; };
    ASSERT_EQ(lambda(2), 5);
    auto name = function_name_at(code_of(lambda));
    EXPECT_NE(name.find("lambda(int)"), std::string::npos) << name;
}

TEST(FunctionNames, AddressesThatAreNotCodeHaveNoName) {
    int on_the_stack = 0;
    EXPECT_EQ(function_name_at(&on_the_stack), "");
    EXPECT_EQ(function_name_at(not_code), "");
    EXPECT_EQ(function_name_at(nullptr), "");
}

TEST(FunctionNames, ManyThreadsAskAtOnce) {
    auto* scaled = &sample::scaled;
    ASSERT_EQ(scaled(4), 11);
    std::vector<std::string> names(8);
    std::vector<std::thread> threads;
    for (auto& name : names) threads.emplace_back([&name, scaled] { name = function_name_at(code_of(scaled)); });
    for (auto& thread : threads) thread.join();
    for (const auto& name : names) EXPECT_EQ(name, "sample::scaled(double)");
}

TEST(FunctionNames, TypeNamesAreDemangled) {
    EXPECT_EQ(demangled(typeid(sample::Point).name()), "sample::Point");
    EXPECT_EQ(demangled(typeid(std::vector<int>).name()), "std::vector<int, std::allocator<int> >");
    auto lambda = [](double x) { return x; };
    auto lambda_type = demangled(typeid(lambda).name());
    EXPECT_NE(lambda_type.find("lambda(double)"), std::string::npos) << lambda_type;
}

TEST(FunctionNames, WhatCannotBeDemangledComesBackAsItIs) {
    EXPECT_EQ(demangled("not a mangled name"), "not a mangled name");
    EXPECT_EQ(demangled("_Z"), "_Z");
    EXPECT_EQ(demangled(nullptr), "");
}

}  // namespace
