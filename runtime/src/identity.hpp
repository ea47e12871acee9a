#pragma once
// Who is speaking: the rank, role and host that every log line, failure record and crash
// report names. Under a launcher each process is one rank and plays one role; in the local
// farm (every role on threads of one process) each role has its own identity, and each
// thread carries the identity of the role it works for.

#include <string>
#include <string_view>

namespace taskfarm::detail {

enum class Role { unknown, scheduler, client, worker, inline_client };
std::string_view role_name(Role role);

// This machine's name.
const std::string& machine_name();

struct Identity {
    int rank = -1;
    Role role = Role::unknown;
    std::string host;
    // "taskfarm[rank R role@host]: ", made by the constructor; read in signal handlers.
    char prefix[320] = "taskfarm: ";
    int log_file = -1;  // the role's rank-<R>.log (Options::log_dir), or -1

    Identity() = default;
    Identity(int rank, Role role);
};

// The identity of the role the calling thread works for: the one an IdentityScope gave it,
// else the process's. Safe in a signal handler.
const Identity& current_identity();
// The process's identity (its rank under a launcher; the client's in the local farm, whose
// own threads are the user's). Call once at start-up, before any other thread runs.
Identity& process_identity();
// A role's identity for threads started from now on; never destroyed (a thread given up
// at its timeout may still log after its farm is gone; a process runs one farm).
Identity& new_identity(int rank, Role role);

// While it lives, the calling thread speaks as `identity`.
class IdentityScope {
public:
    explicit IdentityScope(const Identity& identity);
    ~IdentityScope();
    IdentityScope(const IdentityScope&) = delete;
    IdentityScope& operator=(const IdentityScope&) = delete;

private:
    const Identity* previous_;
};

}  // namespace taskfarm::detail
