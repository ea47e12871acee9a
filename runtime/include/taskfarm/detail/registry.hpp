#pragma once
// Function shipping. Every rank runs the same binary, so a task is named by two things
// that are stable across processes:
//   - an *invoker*: a type-erased entry point `Bytes(FunctionAddress, args)` made for each
//     callable type and registered at static initialisation under the hash of its mangled
//     type name;
//   - for plain functions, the function's *address* as a module and an offset inside it
//     (ASLR moves modules, not the code inside them).
// Stateless callables (captureless lambdas) need no address: the invoker makes one.

#include <taskfarm/serialize.hpp>

#include <cstdint>
#include <span>

namespace taskfarm::detail {

struct FunctionAddress {
    std::uint64_t module = 0;  // hash of the module's name; 0 = no function (stateless callable)
    std::uint64_t offset = 0;
};

// What the runtime does around each run of one element of a map's chunk: today, sending
// the element's stdout and stderr to files of its own (Options::task_output_dir).
class ElementHook {
public:
    // Before a run of element `index` of the chunk. May throw: that run then fails.
    virtual void begin(std::uint32_t index) = 0;
    // After that run, whether it returned or threw (`threw`; not called when begin threw).
    virtual void end(bool threw) noexcept = 0;

protected:
    ~ElementHook() = default;
};

// What a run gets besides its arguments. A worker retries and times a plain task itself;
// the elements of a map's chunk are retried and timed one by one inside their chunk, each
// run inside around_element when there is one. inputs: the results of the Futures passed as
// arguments (serialized as their tasks returned them), in the order the arguments name
// them; a std::vector<Future<T>> argument takes one input per element.
struct RunContext {
    std::uint32_t retries = 0;
    std::uint64_t timeout_ns = 0;  // 0: no limit
    ElementHook* around_element = nullptr;
    std::span<const std::span<const char>> inputs{};
};

using Invoker = Bytes (*)(FunctionAddress function, std::span<const char> args, const RunContext& limits);

// Called from static initialisers; aborts the program on a hash collision. callable_type:
// typeid(...).name() of the function or function object the invoker calls, for the trace.
std::uint64_t register_invoker(const char* type_name, Invoker invoker, const char* callable_type = nullptr);
// That callable type name, mangled; null for a key this binary does not know.
const char* callable_type_of(std::uint64_t key);
// Throws std::runtime_error for a key this binary does not know.
Invoker find_invoker(std::uint64_t key);
// A hash over every registered key: equal on ranks that can run the same tasks.
std::uint64_t registry_fingerprint();

// The exception being handled, encoded as the failure record a worker reports.
Bytes encode_current_exception(std::int32_t attempts = 1);
// Called while the exception a task's argument decoder threw is being handled: throws it on
// marked as undecodable, so that its failure says so (TaskError::Cause::undecodable).
[[noreturn]] void throw_undecodable_arguments();
// The failure record of a task that ran `ran_ns`, over its limit of `limit_ns`.
Bytes encode_timeout(std::uint64_t ran_ns, std::uint64_t limit_ns, std::int32_t attempts);

FunctionAddress address_of_function(const void* function);
// Throws std::runtime_error unless the address lands in executable code of a loaded module.
const void* function_at(FunctionAddress address);

}  // namespace taskfarm::detail
