#pragma once
// How the whole job ends at once, from any rank and any thread: the one way out for a
// failure (docs/faults.md). No dependency on a transport: a transport that can tell the
// other ranks registers itself here while it runs.

namespace taskfarm::detail {

// Ends every rank of the job at once with this status. Safe from any thread. While a farm
// runs under a launcher, every other rank is told first (Failed), so that the signal the
// launcher then sends them is not reported as news of its own.
[[noreturn]] void abort_job(int status);

// Something that can tell every other rank that this one is ending the job.
class FailureAnnouncer {
public:
    // On any thread, just before the job is aborted; waits only a moment.
    virtual void announce_failure(int status) = 0;

protected:
    ~FailureAnnouncer() = default;
};
// The announcer abort_job uses from now on (null: none).
void set_failure_announcer(FailureAnnouncer* announcer);

// Whether MPI is initialised and not yet finalised in this process.
bool mpi_active();

// Another rank said it is ending the job (Failed), with this status; -1 until then.
void note_job_failed(int status);
int job_failed_status();

}  // namespace taskfarm::detail
