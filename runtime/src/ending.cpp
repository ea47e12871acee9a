#include "ending.hpp"

#include <mpi.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace taskfarm::detail {
namespace {

std::atomic<FailureAnnouncer*> announcer{nullptr};
std::atomic<int> job_failed_with{-1};

}  // namespace

bool mpi_active() {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
}

void set_failure_announcer(FailureAnnouncer* a) { announcer = a; }

void note_job_failed(int status) { job_failed_with = status; }

int job_failed_status() { return job_failed_with.load(); }

void abort_job(int status) {
    if (auto* a = announcer.load()) a->announce_failure(status);
    std::fflush(nullptr);
    // One process (inline, or the local farm) is the whole job: MPI_Abort would only add
    // Open MPI's banner about ranks that do not exist.
    int size = 1;
    if (mpi_active() && (MPI_Comm_size(MPI_COMM_WORLD, &size), size > 1)) MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);
}

}  // namespace taskfarm::detail
