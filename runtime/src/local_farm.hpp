#pragma once
// The local farm (Options::local_workers): a program started without a launcher is still a
// farm, with the scheduler and each worker a role on threads of this process, talking
// through LocalTransports; the client is the program's own threads, on the transport of
// rank 1. Ranks are numbered as under a launcher: 0 the scheduler, 1 the client, 2.. the
// workers. docs/design.md "The local farm".

#include "identity.hpp"
#include "local_transport.hpp"

#include <taskfarm/options.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace taskfarm::detail {

class LocalFarm {
public:
    // Starts the scheduler and the workers. identities: by rank (the client's entry unused),
    // made at start-up, where their log files were opened.
    LocalFarm(const Options& options, const std::vector<Identity*>& identities);
    ~LocalFarm();
    LocalFarm(const LocalFarm&) = delete;
    LocalFarm& operator=(const LocalFarm&) = delete;

    // The client's transport; once.
    std::unique_ptr<Transport> take_client_transport();
    // After the client's shutdown: waits until the scheduler and every worker have ended.
    void join();
    // A task was still running at the end, or a thread was given up at its timeout: such
    // threads run on, detached, so the process must end without destroying its statics
    // under them (as an MPI worker does, with _Exit).
    bool abandoned_tasks() const { return abandoned_tasks_.load(); }

private:
    std::atomic<bool> abandoned_tasks_{false};
    bool joined_ = false;
    std::shared_ptr<LocalHub> hub_;
    std::vector<std::unique_ptr<LocalTransport>> endpoints_;  // by rank; the client's taken out
    std::vector<std::thread> roles_;
};

}  // namespace taskfarm::detail
