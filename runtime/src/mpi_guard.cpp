// MPI called from inside a task. A task runs on an executor thread of a worker whose MPI
// belongs to its progress thread; a barrier, a collective or MPI_Finalize there would wait
// for ranks that never take part, and the job would hang. Through MPI's profiling interface
// (every MPI_X is also PMPI_X), taskfarm's definitions of the blocking calls below stand in
// for the library's: outside a task they pass straight through, inside one they throw
// taskfarm::UsageError, which fails the task with a TaskError that says why. What this
// cannot see is listed in docs/faults.md (calls not in this list, MPI bound statically into
// another library, PMPI_ called directly).

#include "signals.hpp"

#include <taskfarm/error.hpp>

#include <mpi.h>

#include <string>

namespace taskfarm::detail {

void link_mpi_guard() {}  // called at start-up so that this file is always linked in

namespace {

void refuse_inside_a_task(const char* call) {
    if (current_task() == 0) return;
    throw UsageError(std::string("taskfarm: ") + call + " was called inside task " + std::to_string(current_task()) +
                     "; a task must not call MPI (its worker's MPI belongs to the farm, and the other ranks never "
                     "take part): return data to the client instead");
}

}  // namespace
}  // namespace taskfarm::detail

using taskfarm::detail::refuse_inside_a_task;

extern "C" {

int MPI_Finalize(void) {
    refuse_inside_a_task("MPI_Finalize");
    return PMPI_Finalize();
}

int MPI_Barrier(MPI_Comm comm) {
    refuse_inside_a_task("MPI_Barrier");
    return PMPI_Barrier(comm);
}

int MPI_Bcast(void* buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm) {
    refuse_inside_a_task("MPI_Bcast");
    return PMPI_Bcast(buffer, count, datatype, root, comm);
}

int MPI_Reduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op, int root,
               MPI_Comm comm) {
    refuse_inside_a_task("MPI_Reduce");
    return PMPI_Reduce(sendbuf, recvbuf, count, datatype, op, root, comm);
}

int MPI_Allreduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm) {
    refuse_inside_a_task("MPI_Allreduce");
    return PMPI_Allreduce(sendbuf, recvbuf, count, datatype, op, comm);
}

int MPI_Gather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf, int recvcount,
               MPI_Datatype recvtype, int root, MPI_Comm comm) {
    refuse_inside_a_task("MPI_Gather");
    return PMPI_Gather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root, comm);
}

int MPI_Allgather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf, int recvcount,
                  MPI_Datatype recvtype, MPI_Comm comm) {
    refuse_inside_a_task("MPI_Allgather");
    return PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
}

int MPI_Send(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm) {
    refuse_inside_a_task("MPI_Send");
    return PMPI_Send(buf, count, datatype, dest, tag, comm);
}

int MPI_Recv(void* buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm, MPI_Status* status) {
    refuse_inside_a_task("MPI_Recv");
    return PMPI_Recv(buf, count, datatype, source, tag, comm, status);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* newcomm) {
    refuse_inside_a_task("MPI_Comm_dup");
    return PMPI_Comm_dup(comm, newcomm);
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm* newcomm) {
    refuse_inside_a_task("MPI_Comm_split");
    return PMPI_Comm_split(comm, color, key, newcomm);
}

}  // extern "C"
