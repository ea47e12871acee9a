#include "identity.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>

namespace taskfarm::detail {
namespace {

// Initial-exec: a static TLS slot, which a signal handler may read without the dynamic TLS
// allocation a shared library's thread_local could otherwise need on first use.
thread_local const Identity* thread_identity __attribute__((tls_model("initial-exec"))) = nullptr;

}  // namespace

std::string_view role_name(Role role) {
    switch (role) {
    case Role::scheduler: return "scheduler";
    case Role::client: return "client";
    case Role::worker: return "worker";
    case Role::inline_client: return "inline client";
    case Role::unknown: break;
    }
    return "starting";
}

const std::string& machine_name() {
    static const auto& name = *new std::string([] {  // never destroyed: threads may log during exit()
        char buffer[256] = {};
        gethostname(buffer, sizeof buffer - 1);
        return std::string(buffer);
    }());
    return name;
}

Identity::Identity(int rank_, Role role_) : rank(rank_), role(role_), host(machine_name()) {
    std::string text = "taskfarm[rank " + std::to_string(rank) + " " + std::string(role_name(role)) + "@" + host + "]: ";
    text.resize(std::min(text.size(), sizeof prefix - 1));
    std::memcpy(prefix, text.c_str(), text.size() + 1);
}

Identity& process_identity() {
    static auto& identity = *new Identity();  // never destroyed, as every other identity
    return identity;
}

Identity& new_identity(int rank, Role role) {
    static std::mutex mutex;
    static auto* identities = new std::deque<Identity>();  // stable addresses, never freed
    std::lock_guard lock(mutex);
    return identities->emplace_back(rank, role);
}

const Identity& current_identity() {
    const Identity* identity = thread_identity;
    return identity ? *identity : process_identity();
}

IdentityScope::IdentityScope(const Identity& identity) : previous_(thread_identity) { thread_identity = &identity; }

IdentityScope::~IdentityScope() { thread_identity = previous_; }

}  // namespace taskfarm::detail
