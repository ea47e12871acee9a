"""dask.distributed in the dask-mpi layout: rank 0 scheduler, rank 1 client, ranks 2.. workers.

    mpirun -np 4 /usr/bin/python3 bench/peers/dask_bench.py W1 10000
    mpirun -np 4 /usr/bin/python3 bench/peers/dask_bench.py WG chain 1000   # task graphs: chain, tree, pipeline

dask-mpi itself is not packaged by Debian; this reproduces its layout with distributed's
Scheduler and Worker (one thread each, no nanny), the scheduler's address sent by MPI broadcast.
"""
import asyncio
import json
import logging
import os
import sys

from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()
logging.getLogger("distributed").setLevel(logging.ERROR)


async def run_scheduler():
    from distributed import Scheduler
    async with Scheduler(host="127.0.0.1", port=0, dashboard_address=None) as scheduler:
        comm.bcast(scheduler.address, root=0)
        await scheduler.finished()


async def run_worker(address):
    from distributed import Worker
    async with Worker(address, nthreads=1, host="127.0.0.1", dashboard=False) as worker:
        await worker.finished()


def run_client(address, workload, n, kind=None):
    from distributed import Client
    with Client(address) as client:
        client.wait_for_workers(size - 2)
        workers = size - 2

        def map_all(fn, xs):
            return client.gather(client.map(fn, list(xs), pure=False))

        def submit(fn, x):
            return client.submit(fn, x, pure=False)

        def result(future):
            return future.result()

        if workload == "W1":
            figures = workloads.w1(map_all, n)
        elif workload == "W2":
            figures = workloads.w2(submit, result, n)
        elif workload == "W3":
            figures = workloads.w3(submit, result, n)
        elif workload == "W4":
            figures = workloads.w4(map_all, n, workers)
        elif workload == "W5":
            figures = workloads.w5(submit, result, n)
        elif workload == "WG":  # task graphs: futures as arguments, dask's own way
            figures = workloads.wg(kind, lambda fn, *args: client.submit(fn, *args, pure=False),
                                   lambda fn, xs: client.map(fn, list(xs), pure=False), result, n)
        else:
            raise SystemExit(f"unknown workload {workload}")
        line = {"tool": "dask", "workload": workload, "n": n, "workers": workers}
        if kind:
            line["kind"] = kind
        line.update(figures)
        print(json.dumps(line), flush=True)
        client.shutdown()


def main():
    workload = sys.argv[1]
    kind = sys.argv[2] if workload == "WG" else None
    n = int(sys.argv[3] if kind else sys.argv[2])
    if rank == 0:
        asyncio.run(run_scheduler())
    else:
        address = comm.bcast(None, root=0)
        if rank == 1:
            try:
                run_client(address, workload, n, kind)
            except BaseException:  # the scheduler and workers would wait for ever: end the job
                import traceback
                traceback.print_exc()
                sys.stderr.flush()
                comm.Abort(1)
        else:
            asyncio.run(run_worker(address))


if __name__ == "__main__":
    main()
