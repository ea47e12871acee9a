#include "local_farm.hpp"

#include "log.hpp"
#include "roles.hpp"

namespace taskfarm::detail {

LocalFarm::LocalFarm(const Options& options, const std::vector<Identity*>& identities)
    : hub_(std::make_shared<LocalHub>(static_cast<int>(identities.size()))), endpoints_(hub_->make_endpoints()) {
    std::vector<std::string> hosts;
    for (const auto* identity : identities) hosts.push_back(identity ? identity->host : machine_name());
    for (int rank = 0; rank < hub_->size(); ++rank) {
        if (rank == client_rank) continue;
        auto& transport = *endpoints_[static_cast<std::size_t>(rank)];
        const Identity& identity = *identities[static_cast<std::size_t>(rank)];
        roles_.emplace_back([this, &transport, &identity, options, hosts] {
            IdentityScope speaking_as(identity);
            try {
                if (transport.rank() == scheduler_rank) {
                    serve_scheduler(transport, options, hosts);
                } else {
                    // A task still running at the end, or a thread given up at its timeout, is
                    // left to run on (detached) until the process ends, as on an MPI worker.
                    bool abandoned_task = false;
                    serve_worker(transport, options, abandoned_task);
                    if (abandoned_task) abandoned_tasks_ = true;
                }
            } catch (...) {
                auto error = describe_current_exception();
                fatal("the " + std::string(role_name(identity.role)) + " failed: " + error.type_name + ": " + error.message);
            }
        });
    }
}

LocalFarm::~LocalFarm() {
    if (joined_) return;
    // Destroyed before the client shut it down (an exception while the client was being
    // made): its roles wait for a Shutdown that will never come. End the job, never hang.
    log_line("the local farm is being destroyed before it was shut down; ending the job");
    abort_job(1);
}

std::unique_ptr<Transport> LocalFarm::take_client_transport() {
    return std::move(endpoints_[static_cast<std::size_t>(client_rank)]);
}

void LocalFarm::join() {
    for (auto& role : roles_)
        if (role.joinable()) role.join();
    joined_ = true;
}

}  // namespace taskfarm::detail
