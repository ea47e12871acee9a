"""mpi4py.futures side of the benchmarks: one workload per run, one JSON line.

    mpirun -np 3 /usr/bin/python3 -m mpi4py.futures bench/peers/mpi4py_bench.py W1 100000 [chunksize]

Rank 0 runs this script; the other ranks are MPIPoolExecutor's workers (np 3: 2 workers).
"""
import json
import os
import sys

from mpi4py import MPI
from mpi4py.futures import MPIPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def main():
    workload = sys.argv[1]
    n = int(sys.argv[2])
    chunksize = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    workers = MPI.COMM_WORLD.Get_size() - 1
    with MPIPoolExecutor() as executor:
        executor.bootup()

        def map_all(fn, xs):
            return list(executor.map(fn, xs, chunksize=chunksize))

        def result(future):
            return future.result()

        if workload == "W1":
            figures = workloads.w1(map_all, n)
        elif workload == "W2":
            figures = workloads.w2(executor.submit, result, n)
        elif workload == "W3":
            figures = workloads.w3(executor.submit, result, n)
        elif workload == "W4":
            figures = workloads.w4(map_all, n, workers)
        elif workload == "W5":
            figures = workloads.w5(executor.submit, result, n)
        elif workload == "WI":  # executor.map is its lazy map (no buffersize in Debian's 3.1)
            figures = workloads.wi(lambda fn, xs: executor.map(fn, xs, chunksize=chunksize), n)
        else:
            raise SystemExit(f"unknown workload {workload}")
    line = {"tool": "mpi4py.futures", "workload": workload, "n": n, "workers": workers, "chunksize": chunksize}
    line.update(figures)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
