// Start-up and the end of the job: which rank plays which role, the checks every rank
// must pass before a farm runs, and the exit status every rank leaves with.

#include "client_core.hpp"
#include "config.hpp"
#include "fingerprint.hpp"
#include "log.hpp"
#include "roles.hpp"
#include "signals.hpp"
#include "task_output.hpp"

#include <taskfarm/launch.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iomanip>
#include <sstream>

namespace taskfarm {
namespace detail {
namespace {

// Exit statuses of a job that could not start.
constexpr int status_too_few_ranks = 2;
constexpr int status_mismatched_programs = 3;
constexpr int status_bad_configuration = 4;
constexpr int status_bad_journal = 5;

[[noreturn]] void on_terminate() {
    if (std::current_exception()) {
        auto error = describe_current_exception();
        fatal("ended by an uncaught exception: " + error.type_name + ": " + error.message);
    }
    fatal("std::terminate was called");
}

std::string hex(std::uint64_t value) {
    std::ostringstream out;
    out << std::hex << std::setw(16) << std::setfill('0') << value;
    return out.str();
}

// Rank 0 explains why the job cannot start; every rank then leaves with `status`.
int refuse_to_start(const MpiSession& session, const std::string& reason, int status) {
    if (session.rank() == 0) log_line(reason);
    return status;
}

// Returns 0 when the farm may start, or the status the job must end with.
int check_startup(const MpiSession& session, const char* program) {
    if (session.size() == 2) {
        return refuse_to_start(
            session,
            std::string("a farm needs at least 3 ranks (rank 0 schedules, rank 1 runs your client code, ranks 2.. "
                        "are workers), but this job has 2. Run with -np 3 or more, e.g. `mpirun -np 4 ") +
                program + "`, or with no launcher (or -np 1) to run every task inline.",
            status_too_few_ranks);
    }
    auto fingerprints = session.all_gather(program_fingerprint());
    for (std::size_t rank = 1; rank < fingerprints.size(); ++rank) {
        if (fingerprints[rank] != fingerprints[0]) {
            return refuse_to_start(session,
                                   "ranks run different programs: rank 0 has fingerprint " + hex(fingerprints[0]) +
                                       " and rank " + std::to_string(rank) + " has " + hex(fingerprints[rank]) +
                                       ". Every rank of a farm must run the same build of the same binary.",
                                   status_mismatched_programs);
        }
    }
    return 0;
}

// The directories the options name: this rank's log file, and on a rank that runs tasks the
// tasks' output. One that cannot be made or written ends the job, as a bad setting does.
void prepare_directories(const Options& options, bool runs_tasks) {
    try {
        if (!options.log_dir.empty()) log_to_directory(options.log_dir);
        if (runs_tasks && !options.task_output_dir.empty()) make_task_output_directory(options.task_output_dir);
    } catch (const std::exception& e) {
        log_line(std::string("bad configuration: ") + e.what());
        abort_job(status_bad_configuration);
    }
}

// --taskfarm-verbose: rank 0 prints the configuration and which rank is what, where.
void print_layout(const MpiSession& session, const Options& options) {
    auto hosts = session.all_gather(host_name());
    if (session.rank() != 0) return;
    std::string layout = "configuration: " + describe(options) + "\nlayout: " + std::to_string(session.size()) + " ranks";
    for (std::size_t rank = 0; rank < hosts.size(); ++rank) {
        auto role = rank == scheduler_rank ? "scheduler" : rank == client_rank ? "client" : "worker";
        layout += "\n  rank " + std::to_string(rank) + " " + role + "@" + hosts[rank];
    }
    log_line(layout);
}

struct Startup {
    std::shared_ptr<MpiSession> session;
    Options options;
    int early_status = 0;  // non-zero: the job ends now with this status
};

Startup start(int& argc, char**& argv, const Options& given) {
    std::set_terminate(on_terminate);
    keep_original_stderr();  // before any task's output is sent elsewhere
    note_stop_signals();
    Startup startup;
    startup.session = std::make_shared<MpiSession>(argc, argv);
    auto& session = *startup.session;
    set_identity(session.rank(), Role::unknown);
    try {
        startup.options = effective_options(given, argc, argv);
    } catch (const ConfigError& e) {
        startup.early_status = refuse_to_start(session, std::string("bad configuration: ") + e.what(),
                                               status_bad_configuration);
        return startup;
    }
    if (session.size() == 1) {
        restore_default_stop_signals();
        set_identity(0, Role::inline_client);
        prepare_directories(startup.options, true);
        if (startup.options.verbose) log_line("configuration: " + describe(startup.options) + "; one rank: tasks run inline");
        return startup;
    }
    startup.early_status = check_startup(session, argc > 0 ? argv[0] : "your_program");
    if (startup.early_status == 0) {
        install_signal_handlers();
        auto role = session.rank() == scheduler_rank ? Role::scheduler
                    : session.rank() == client_rank  ? Role::client
                                                     : Role::worker;
        set_identity(session.rank(), role);
        prepare_directories(startup.options, role == Role::worker);
        if (startup.options.verbose) print_layout(session, startup.options);
    }
    return startup;
}

// Serves as scheduler or worker until the client is done; returns the job's status.
int serve(std::shared_ptr<MpiSession> session, const Options& options) {
    int status;
    bool abandoned_task = false;
    {
        Transport transport(session->world());
        status = session->rank() == scheduler_rank ? serve_scheduler(transport, options)
                                                   : serve_worker(transport, options, abandoned_task);
    }
    session.reset();
    if (abandoned_task) {
        std::fflush(nullptr);
        std::_Exit(status);
    }
    return status;
}

// A client that calls exit() while its farm runs: the farm is shut down with that status,
// as if the client had returned it, rather than left to die when the process goes.
std::weak_ptr<ClientCore> running_client;

void shut_down_at_exit(int status, void*) {
    auto core = running_client.lock();
    if (!core || core->closed()) return;
    log_line("the client called exit(" + std::to_string(status) +
             ") while the farm was running; shutting the farm down with that status");
    core->shutdown(status);
}

Client make_client(std::shared_ptr<MpiSession> session, const Options& options) {
    std::unique_ptr<Transport> transport;
    bool farm = session->size() > 1;
    if (farm) transport = std::make_unique<Transport>(session->world());
    std::shared_ptr<ClientCore> core;
    try {
        core = std::make_shared<ClientCore>(std::move(session), std::move(transport), options);
    } catch (const JournalError& e) {
        log_line(std::string("journal: ") + e.what());
        abort_job(status_bad_journal);
    }
    if (farm) {
        running_client = core;
        static bool registered = on_exit(shut_down_at_exit, nullptr) == 0;
        (void)registered;
    }
    return ClientAccess::make(std::move(core));
}

}  // namespace

int run(int& argc, char**& argv, std::function<int(Client&)> client_main, const Options& options) {
    auto startup = start(argc, argv, options);
    if (startup.early_status != 0) return startup.early_status;
    if (startup.session->size() > 1 && startup.session->rank() != client_rank)
        return serve(std::move(startup.session), startup.options);

    auto client = make_client(std::move(startup.session), startup.options);
    int status;
    try {
        status = client_main(client);
    } catch (...) {
        auto error = describe_current_exception();
        fatal("the client failed with an uncaught exception: " + error.type_name + ": " + error.message);
    }
    ClientAccess::core(client).shutdown(status);
    return status;
}

}  // namespace detail

Client initialize(int& argc, char**& argv, const Options& options) {
    auto startup = detail::start(argc, argv, options);
    if (startup.early_status != 0) {
        startup.session.reset();
        std::exit(startup.early_status);
    }
    if (startup.session->size() > 1 && startup.session->rank() != detail::client_rank)
        std::exit(detail::serve(std::move(startup.session), startup.options));
    return detail::make_client(std::move(startup.session), startup.options);
}

}  // namespace taskfarm
