"""Python's multiprocessing side of the lazy-map benchmark (WI): Pool.imap, one JSON line.

    /usr/bin/python3 bench/peers/multiprocessing_bench.py WI 1000000 [chunksize] [workers]
"""
import json
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def main():
    workload = sys.argv[1]
    n = int(sys.argv[2])
    chunksize = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    if workload != "WI":
        raise SystemExit(f"unknown workload {workload}")
    with multiprocessing.Pool(workers) as pool:
        figures = workloads.wi(lambda fn, xs: pool.imap(fn, xs, chunksize=chunksize), n)
    line = {"tool": "multiprocessing", "workload": workload, "n": n, "workers": workers, "chunksize": chunksize}
    line.update(figures)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
