#include <taskfarm/detail/registry.hpp>

#include "hash.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace taskfarm::detail {
namespace {

// Static initialisers call register_invoker in no defined order, so the map is made on first use.
// This and the caches below are never destroyed: in the local farm, worker threads may still
// run tasks while exit() destroys the statics (a client that calls exit(), a task abandoned at
// the end), and a static made after the farm started is destroyed before the farm is shut down.
std::map<std::uint64_t, Invoker>& invokers() {
    static auto& map = *new std::map<std::uint64_t, Invoker>();
    return map;
}

// The module (main program or shared library) that contains an address, and its load bias.
struct Module {
    std::uint64_t name_hash = 0;
    std::uintptr_t bias = 0;
    bool executable_contains = false;
};

struct ModuleQuery {
    std::uintptr_t address = 0;       // find the module containing this address, or
    std::uint64_t name_hash = 0;      // find the module with this name hash
    Module found;
    bool hit = false;
};

int visit_module(dl_phdr_info* info, size_t, void* data) {
    auto& query = *static_cast<ModuleQuery*>(data);
    const char* name = info->dlpi_name ? info->dlpi_name : "";
    auto hash = fnv1a(name) | 1;  // never 0, which means "no function"
    bool in_code = false;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X)) continue;
        auto begin = info->dlpi_addr + segment.p_vaddr;
        if (query.address >= begin && query.address < begin + segment.p_memsz) in_code = true;
    }
    bool match = query.name_hash != 0 ? hash == query.name_hash : in_code;
    if (!match) return 0;
    query.found = {hash, info->dlpi_addr, in_code};
    query.hit = true;
    return 1;
}

}  // namespace

// Registered invokers' callable type names (typeid names live as long as the program).
std::map<std::uint64_t, const char*>& callable_types() {
    static auto& map = *new std::map<std::uint64_t, const char*>();
    return map;
}

std::mutex& registry_mutex() {
    static auto& mutex = *new std::mutex();
    return mutex;
}

std::uint64_t register_invoker(const char* type_name, Invoker invoker, const char* callable_type) {
    std::lock_guard lock(registry_mutex());
    auto key = fnv1a(type_name);
    if (callable_type) callable_types().emplace(key, callable_type);
    auto [it, inserted] = invokers().emplace(key, invoker);
    if (!inserted && it->second != invoker) {
        std::fprintf(stderr, "taskfarm: two task types share the registry key %llx (%s); rename one\n",
                     static_cast<unsigned long long>(key), type_name);
        std::abort();
    }
    return key;
}

const char* callable_type_of(std::uint64_t key) {
    std::lock_guard lock(registry_mutex());
    auto it = callable_types().find(key);
    return it == callable_types().end() ? nullptr : it->second;
}

Invoker find_invoker(std::uint64_t key) {
    auto it = invokers().find(key);
    if (it == invokers().end())
        throw std::runtime_error("taskfarm: unknown task type " + std::to_string(key) +
                                 " (does every rank run the same binary?)");
    return it->second;
}

std::uint64_t registry_fingerprint() {
    std::uint64_t hash = fnv1a("taskfarm-registry");
    for (const auto& [key, invoker] : invokers())
        hash = fnv1a_of(key, hash);
    return hash;
}

namespace {

// Resolving goes through every loaded module; a task names the same few functions again
// and again, so each rank remembers what it resolved.
template <class Key, class Value>
class ResolvedCache {
public:
    template <class Resolve>
    Value get(const Key& key, Resolve&& resolve) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = map_.find(key); it != map_.end()) return it->second;
        }
        Value value = resolve();
        std::lock_guard lock(mutex_);
        map_.emplace(key, value);
        return value;
    }

private:
    std::mutex mutex_;
    std::map<Key, Value> map_;
};

FunctionAddress resolve_address(const void* function) {
    ModuleQuery query;
    query.address = reinterpret_cast<std::uintptr_t>(function);
    dl_iterate_phdr(visit_module, &query);
    if (!query.hit) throw std::runtime_error("taskfarm: this function is not in any loaded module's code");
    return {query.found.name_hash, query.address - query.found.bias};
}

const void* resolve_function(FunctionAddress address) {
    ModuleQuery by_name;
    by_name.name_hash = address.module;
    dl_iterate_phdr(visit_module, &by_name);
    if (!by_name.hit) throw std::runtime_error("taskfarm: the task's function lives in a module this rank has not loaded");
    auto absolute = by_name.found.bias + address.offset;

    ModuleQuery check;
    check.name_hash = address.module;
    check.address = absolute;
    dl_iterate_phdr(visit_module, &check);
    if (!check.found.executable_contains)
        throw std::runtime_error("taskfarm: the task's function address is not code in its module");
    return reinterpret_cast<const void*>(absolute);
}

}  // namespace

FunctionAddress address_of_function(const void* function) {
    static auto& cache = *new ResolvedCache<const void*, FunctionAddress>();  // never destroyed, see invokers()
    return cache.get(function, [&] { return resolve_address(function); });
}

const void* function_at(FunctionAddress address) {
    static auto& cache = *new ResolvedCache<std::pair<std::uint64_t, std::uint64_t>, const void*>();  // never destroyed
    return cache.get({address.module, address.offset}, [&] { return resolve_function(address); });
}

}  // namespace taskfarm::detail
