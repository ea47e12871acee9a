// Start-up and the end of the job: which rank plays which role, the checks every rank
// must pass before a farm runs (agreed by all ranks, startup.hpp), and the exit status every
// rank leaves with.

#include "client_core.hpp"
#include "config.hpp"
#include "fingerprint.hpp"
#include "resources.hpp"
#include "journal.hpp"
#include "local_farm.hpp"
#include "log.hpp"
#include "mpi_transport.hpp"
#include "roles.hpp"
#include "signals.hpp"
#include "startup.hpp"
#include "task_output.hpp"

#include <taskfarm/launch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>

namespace taskfarm {
namespace detail {

void link_mpi_guard();  // mpi_guard.cpp: MPI called inside a task fails that task

namespace {

// The client of this process, for its last report when an exception escapes the program.
std::weak_ptr<ClientCore>& reporting_client() {
    static auto& client = *new std::weak_ptr<ClientCore>();
    return client;
}

[[noreturn]] void on_terminate() {
    // A task's TaskError (or any exception) that escapes main ends the job here, without
    // unwinding: the trace and the report are written first (Options::trace, report).
    if (auto core = reporting_client().lock(); core && current_task() == 0) core->write_last_pages();
    if (std::current_exception()) {
        auto error = describe_current_exception();
        fatal("ended by an uncaught exception: " + error.type_name + ": " + error.message);
    }
    fatal("std::terminate was called");
}

// One farm per process: MPI cannot be initialised again once finalised, and a second farm
// inside a running one (a library calling initialize while the program holds a Client, or a
// task doing it on a worker) would wait on ranks that never join it.
void claim_the_process() {
    static std::atomic<bool> claimed{false};
    if (current_task() != 0)
        throw UsageError("taskfarm: initialize (or run) was called inside a task; a task runs on a worker of the farm "
                         "that is already running: submit more tasks from the client instead");
    if (claimed.exchange(true))
        throw UsageError("taskfarm: initialize (or run) was called a second time in this process; a process runs one "
                         "farm, and MPI cannot be started twice: use the Client the first call gave");
}

// A farm's roles by rank (under a launcher, or the local farm's); one rank alone is inline.
Role role_of(int rank, int size) {
    if (size == 1) return Role::inline_client;
    return rank == scheduler_rank ? Role::scheduler : rank == client_rank ? Role::client : Role::worker;
}

// --taskfarm-verbose: rank 0 prints the configuration and which rank is what, where.
void print_layout(const std::vector<StartupReport>& reports, const Options& options) {
    std::string layout = "configuration: " + describe(options) + "\nlayout: " + std::to_string(reports.size()) +
                         " ranks (local_workers is ignored under a launcher)";
    for (std::size_t rank = 0; rank < reports.size(); ++rank) {
        auto role = role_of(static_cast<int>(rank), static_cast<int>(reports.size()));
        layout += "\n  rank " + std::to_string(rank) + " " + std::string(role_name(role)) + "@" + reports[rank].host;
    }
    log_line(layout);
}

struct Startup {
    std::shared_ptr<MpiSession> session;
    Options options;
    std::unique_ptr<Journal> journal;  // the client's, opened before the farm starts
    std::vector<std::string> hosts;    // by rank
    std::vector<Resources> worker_resources;  // by rank
    int early_status = 0;              // non-zero: the job ends now with this status, on every rank
    // The local farm (no launcher, local_workers in force > 0): every role's identity by rank
    // (the client's is the process's); empty otherwise.
    std::vector<Identity*> local_identities;
};

// Without a launcher: the local farm, or inline when local_workers is 0. The process speaks
// as the client (rank 1) of the local farm; the other roles get identities of their own.
void lay_out_local_farm(Startup& startup) {
    const auto& options = startup.options;
    int workers = local_workers_in_force(options);
    if (workers == 0) return;
    int size = first_worker_rank + workers;
    process_identity() = Identity(client_rank, Role::client);
    // Every worker is a role thread, a progress thread and its executors, all in this process.
    auto limit = threads_per_worker_limit();
    long threads = long(workers) * (options.threads_per_worker + 2) + 4;
    if (threads > limit.most)
        throw ConfigError("a local farm of " + std::to_string(workers) + " workers with threads_per_worker=" +
                          std::to_string(options.threads_per_worker) + " needs " + std::to_string(threads) +
                          " threads in one process, more than " + std::to_string(limit.most) + " (" + limit.set_by +
                          "): lower TASKFARM_LOCAL_WORKERS or TASKFARM_THREADS_PER_WORKER");
    // Descriptors 1 and 2 belong to the process: a task's redirected output would take the
    // client's lines (and every other role's) with it.
    if (!options.task_output_dir.empty() && !options.isolate)
        throw ConfigError("Options::task_output_dir in the local farm needs isolate: every role shares this process's "
                          "stdout and stderr, the client's too (or run inline with local_workers=0, or under a launcher)");
    startup.local_identities.assign(static_cast<std::size_t>(size), nullptr);
    for (int rank = 0; rank < size; ++rank)
        startup.local_identities[static_cast<std::size_t>(rank)] =
            rank == client_rank ? &process_identity() : &new_identity(rank, role_of(rank, size));
}

// This rank's binary, by the path the kernel has for it (what an MPMD line or a job script
// named may be relative, or a link), else as the launcher was asked to run it.
std::string program_path(int argc, char** argv) {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) return path.string();
    return argc > 0 && argv[0] ? argv[0] : "(unknown program)";
}

// A file the client will write later: its directory must be there and writable now.
void check_writable(const std::string& what, const std::string& path) {
    auto directory = std::filesystem::path(path).parent_path();
    if (directory.empty()) directory = ".";
    if (::access(directory.c_str(), W_OK) != 0)
        throw ConfigError(what + " is " + path + ", but its directory " + directory.string() + " cannot be written: " +
                          std::strerror(errno));
    if (std::filesystem::is_directory(path)) throw ConfigError(what + " is " + path + ", which is a directory");
}

// What this rank can check by itself; a failure goes into the report rather than ending the
// rank, so that every rank learns of it in the agreement.
StartupReport check_this_rank(Startup& startup, int& argc, char**& argv, const Options& given) {
    StartupReport report;
    report.fingerprint = program_fingerprint();
    report.host = machine_name();
    report.program = program_path(argc, argv);
    try {
        startup.options = effective_options(given, argc, argv);
        report.settings = settings_of(startup.options);
        const auto& options = startup.options;
        if (startup.session->size() == 1) lay_out_local_farm(startup);
        auto role = process_identity().role;
        bool local = !startup.local_identities.empty();
        bool runs_tasks = role == Role::worker || role == Role::inline_client || local;
        try {
            if (!options.log_dir.empty()) {
                log_to_directory(process_identity(), options.log_dir);
                for (auto* identity : startup.local_identities)
                    if (identity != &process_identity()) log_to_directory(*identity, options.log_dir);
            }
            if (runs_tasks && !options.task_output_dir.empty()) make_task_output_directory(options.task_output_dir);
        } catch (const std::exception& e) {
            throw ConfigError(e.what());
        }
        bool client = role == Role::client || role == Role::inline_client;
        // Said now rather than after the run: the client writes the trace at the end.
        if (client && !options.trace.empty()) check_writable("Options::trace", options.trace);
        if (client && !options.report.empty()) check_writable("Options::report", options.report);
        if (client && !options.journal.empty())
            startup.journal = std::make_unique<Journal>(options.journal, report.fingerprint);
    } catch (const ConfigError& e) {
        report.status = status_bad_configuration;
        report.failure = std::string("bad configuration: ") + e.what();
        report.settings.clear();  // not read: not compared between ranks
    } catch (const JournalError& e) {
        report.status = status_bad_journal;
        report.failure = std::string("journal: ") + e.what();
    } catch (...) {
        auto error = describe_current_exception();
        report.status = 1;
        report.failure = "start-up failed: " + error.type_name + ": " + error.message;
    }
    return report;
}

Startup start(int& argc, char**& argv, const Options& given) {
    link_mpi_guard();
    claim_the_process();
    std::set_terminate(on_terminate);
    keep_original_stderr();  // before any task's output is sent elsewhere
    note_stop_signals();
    Startup startup;
    startup.session = std::make_shared<MpiSession>(argc, argv);
    auto& session = *startup.session;
    process_identity() = Identity(session.rank(), role_of(session.rank(), session.size()));

    auto report = check_this_rank(startup, argc, argv, given);
    auto role = process_identity().role;
    std::vector<StartupReport> reports;
    if (session.size() == 1) {
        reports.push_back(std::move(report));
    } else {
        for (const auto& bytes : session.all_gather(encode_report(report))) reports.push_back(decode_report(bytes));
    }
    auto verdict = agree_on_startup(reports, argc > 0 ? argv[0] : "your_program");
    for (const auto& line : verdict.lines)
        if (line.rank == session.rank()) log_line(line.text);
    if (verdict.status != 0) {
        session.mark_ending_together();  // every rank leaves here, with the same status
        startup.early_status = verdict.status;
        return startup;
    }
    for (const auto& r : reports) {
        startup.hosts.push_back(r.host);
        // Each worker's own resources (TASKFARM_WORKER_RESOURCES may differ between nodes),
        // from its report: it read and checked them itself.
        Resources resources;
        for (const auto& [name, value] : r.settings)
            if (name == per_rank_setting) resources = parse_resources(value);
        startup.worker_resources.push_back(std::move(resources));
    }

    if (startup.journal)  // damaged records it skipped, a torn tail it cut off: said, never silent
        for (const auto& warning : startup.journal->warnings()) log_line(warning);
    if (role == Role::inline_client) {
        restore_default_stop_signals();
        if (startup.options.verbose) log_line("configuration: " + describe(startup.options) + "; no farm (local_workers=0): tasks run inline, one at a time");
        return startup;
    }
    install_signal_handlers();
    if (!startup.local_identities.empty()) {
        if (startup.options.verbose)
            log_line("configuration: " + describe(startup.options) + "; no launcher: a local farm of " +
                     std::to_string(startup.local_identities.size() - first_worker_rank) +
                     " workers, each role on threads of this process (ranks 0 scheduler, 1 client, 2.. workers)");
        return startup;
    }
    if (startup.options.verbose && session.rank() == 0) print_layout(reports, startup.options);
    return startup;
}

// Serves as scheduler or worker until the client is done; returns the job's status.
int serve(Startup startup) {
    auto& session = startup.session;
    int status;
    bool abandoned_task = false;
    {
        MpiTransport transport(session->world());
        status = session->rank() == scheduler_rank ? serve_scheduler(transport, startup.options, startup.hosts, startup.worker_resources)
                                                   : serve_worker(transport, startup.options, abandoned_task);
        transport.join();
        if (transport.ended_together()) session->mark_ending_together();
    }
    session.reset();
    if (abandoned_task) {
        std::fflush(nullptr);
        std::_Exit(status);
    }
    return status;
}

// A client that calls exit() while its farm runs: the farm is shut down with that status,
// as if the client had returned it, rather than left to die when the process goes. Only in
// the process that runs the farm: a child a task or the client forked runs exit handlers too.
std::weak_ptr<ClientCore> running_client;

void shut_down_at_exit(int status, void*) {
    // A task that calls exit() (on a worker thread of the local farm) is reported as such by
    // the handler signals.cpp registered, which runs next.
    if (!in_farm_process() || current_task() != 0) return;
    auto core = running_client.lock();
    if (!core) return;
    if (!core->closed()) {
        log_line("the client called exit(" + std::to_string(status) +
                 ") while the farm was running; shutting the farm down with that status");
        core->shutdown(status);
    }
    // A task's thread the local farm had to leave running must not see the statics destroyed
    // under it: end here, as an MPI worker does.
    if (core->abandoned_tasks()) {
        std::fflush(nullptr);
        std::_Exit(status);
    }
}

// A second handle on the core of the Client that initialize returned, for current_client().
// Never destroyed: as a static it would shut the farm down with status 0 at exit, before the
// exit handler above could do so with the status given to exit(), and in a process a task
// forked, exit() would run it too.
Client*& current_handle() {
    static Client* handle = nullptr;
    return handle;
}

Client make_client(Startup startup) {
    std::unique_ptr<Transport> transport;
    std::shared_ptr<LocalFarm> local_farm;
    bool farm = startup.session->size() > 1 || !startup.local_identities.empty();
    if (startup.session->size() > 1) {
        transport = std::make_unique<MpiTransport>(startup.session->world());
    } else if (farm) {
        local_farm = std::make_shared<LocalFarm>(startup.options, startup.local_identities);
        transport = local_farm->take_client_transport();
    }
    auto core = std::make_shared<ClientCore>(std::move(startup.session), std::move(transport), std::move(local_farm),
                                             startup.options, std::move(startup.journal), std::move(startup.hosts));
    if (!farm) initialize_worker_process(startup.options);  // inline: this process runs the tasks
    reporting_client() = core;
    if (farm) {
        running_client = core;
        static bool registered = on_exit(shut_down_at_exit, nullptr) == 0;
        (void)registered;
    }
    current_handle() = new Client(ClientAccess::make(core));
    return ClientAccess::make(std::move(core));
}

}  // namespace

int run(int& argc, char**& argv, std::function<int(Client&)> client_main, const Options& options) {
    auto startup = start(argc, argv, options);
    if (startup.early_status != 0) return startup.early_status;
    if (startup.session->size() > 1 && startup.session->rank() != client_rank) return serve(std::move(startup));

    auto client = make_client(std::move(startup));
    int status;
    try {
        status = client_main(client);
    } catch (...) {
        auto error = describe_current_exception();
        fatal("the client failed with an uncaught exception: " + error.type_name + ": " + error.message);
    }
    auto& core = ClientAccess::core(client);
    core.shutdown(status);
    if (core.abandoned_tasks()) {  // see shut_down_at_exit
        std::fflush(nullptr);
        std::_Exit(status);
    }
    return status;
}

}  // namespace detail

Client& current_client() {
    if (detail::current_task() != 0)
        throw UsageError("taskfarm::current_client() was called inside a task: tasks run on workers, which have no "
                         "client (submitting from a task is not supported yet); return what you need to the client");
    auto* handle = detail::current_handle();
    if (!handle)
        throw UsageError("taskfarm::current_client(): no farm client in this process (call taskfarm::initialize or "
                         "taskfarm::run first; the scheduler and worker ranks have none)");
    if (detail::ClientAccess::core(*handle).closed())
        throw UsageError("taskfarm::current_client(): the farm has shut down");
    return *handle;
}

Client initialize(int& argc, char**& argv, const Options& options) {
    auto startup = detail::start(argc, argv, options);
    if (startup.early_status != 0) {
        startup.session.reset();
        std::exit(startup.early_status);
    }
    if (startup.session->size() > 1 && startup.session->rank() != detail::client_rank)
        std::exit(detail::serve(std::move(startup)));
    return detail::make_client(std::move(startup));
}

}  // namespace taskfarm
