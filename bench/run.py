#!/usr/bin/python3
"""`make bench`: every workload on taskfarm, mpi4py.futures, dask (dask-mpi layout) and raw MPI,
in one run on this machine. Writes bench/results/results.json, the plots beside it, and the
tables of docs/performance.md (between its results markers).

    BENCH_RUNS=5 BENCH_QUICK=0 bench/run.py [build directory]
    BENCH_ONLY=W6,W7 bench/run.py       # re-measure these workloads, keep the other results

Each figure is the median of BENCH_RUNS runs (at least 5 for published figures), with min-max.
BENCH_QUICK=1 uses small sizes and one run, to check that everything works.
"""
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-release"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
QUICK = os.environ.get("BENCH_QUICK", "0") == "1"
PYTHON = "/usr/bin/python3"  # the Python that has Debian's mpi4py and distributed
PEER_LIMIT = 180  # seconds: a peer's run longer than this is not repeated at larger sizes
CORES = os.cpu_count()
ONLY = {w for w in os.environ.get("BENCH_ONLY", "").split(",") if w}


# Transparent huge pages for what malloc hands out (glibc 2.35+). On this virtual machine the
# first touch of every fresh 4 KiB page costs about 14 µs; this makes it one fault per 2 MiB.
HUGE_PAGES = "glibc.malloc.hugetlb=1"


def mpirun(np, huge_pages=False):
    flags = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    if np > CORES:
        flags.append("--oversubscribe")
    if huge_pages:
        flags += ["-x", f"GLIBC_TUNABLES={HUGE_PAGES}"]
    return ["mpirun", "-np", str(np)] + flags


def taskfarm(workload, n, np=4, huge_pages=False, kind=None, env=()):
    """env: NAME=VALUE settings given to every rank (mpirun -x)."""
    return mpirun(np, huge_pages) + [flag for setting in env for flag in ("-x", setting)] + [os.path.join(BUILD, "bench", "taskfarm_bench"), workload] + ([kind] if kind else []) + [str(n)]


def local(workload, n, workers, huge_pages=False):
    """taskfarm started plainly: the local farm of `workers` workers (0: inline, -1: one per core)."""
    env = ["env", f"TASKFARM_LOCAL_WORKERS={workers}"] + ([f"GLIBC_TUNABLES={HUGE_PAGES}"] if huge_pages else [])
    return env + [os.path.join(BUILD, "bench", "taskfarm_bench"), workload, str(n)]


def mpi4py(workload, n, chunksize=1, workers=2, huge_pages=False):
    return mpirun(workers + 1, huge_pages) + [PYTHON, "-m", "mpi4py.futures", os.path.join(HERE, "peers", "mpi4py_bench.py"),
                                  workload, str(n), str(chunksize)]


def dask(workload, n, workers=2, huge_pages=False, kind=None):
    return mpirun(workers + 2, huge_pages) + [PYTHON, os.path.join(HERE, "peers", "dask_bench.py"), workload] + \
        ([kind] if kind else []) + [str(n)]


def raw(np, *args):
    return mpirun(np) + [os.path.join(BUILD, "bench", "raw_mpi")] + [str(a) for a in args]


def run_once(command, timeout):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-2000:]}")
    figures = lines[-1]
    figures["wall_seconds"] = wall
    return figures


results = []
skipped = []


def measure(label, command, metrics, runs=RUNS, timeout=1800, **facts):
    """Runs a command `runs` times; records median/min/max of each metric. Returns the median wall time."""
    if ONLY and facts.get("workload") not in ONLY:
        return 0.0
    values = {m: [] for m in metrics}
    walls = []
    for _ in range(runs):
        figures = run_once(command, timeout)
        walls.append(figures["wall_seconds"])
        for m in metrics:
            values[m].append(figures[m])
    for m in metrics:
        results.append(dict(label=label, metric=m, median=statistics.median(values[m]), min=min(values[m]),
                            max=max(values[m]), values=values[m], command=" ".join(command), **facts))
    print(f"{label:45s} " + "  ".join(f"{m}={statistics.median(values[m]):.4g}" for m in metrics), flush=True)
    return statistics.median(walls)


def sized(sizes, quick_sizes):
    return quick_sizes if QUICK else sizes


def main():
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    runs = 1 if QUICK else RUNS

    # Raw MPI baselines.
    measure("raw MPI ping-pong, 8 B, np 2", raw(2, "latency"), ["one_way_us"], runs, tool="raw_mpi", workload="latency")
    measure("raw MPI bandwidth, 256 MiB, np 2", raw(2, "bandwidth", 256), ["gb_per_second"], runs, tool="raw_mpi",
            workload="bandwidth")
    for batch in (1, 64, 1024):
        measure(f"raw MPI farm rate, batch {batch}, np 4", raw(4, "rate", 1_000_000 if not QUICK else 10_000, batch),
                ["tasks_per_second"], runs, tool="raw_mpi", workload="rate", batch=batch)
    measure("raw MPI round trip, np 3", raw(3, "roundtrip", 10_000), ["median_us"], runs, tool="raw_mpi", workload="roundtrip")

    # W1: map + gather, N = 1e4, 1e5, 1e6.
    for n in sized([10_000, 100_000, 1_000_000], [1000]):
        measure(f"W1 taskfarm N={n}", taskfarm("W1", n), ["tasks_per_second"], runs, tool="taskfarm", workload="W1", n=n)
    # A peer's next size is skipped when ten times the last run's wall time would pass 3 minutes.
    peer_sizes = sized([10_000, 100_000, 1_000_000], [1000])
    for chunksize in (1, 1000, 10000):
        for n in peer_sizes:
            wall = measure(f"W1 mpi4py.futures chunksize {chunksize} N={n}", mpi4py("W1", n, chunksize),
                           ["tasks_per_second"], runs, tool="mpi4py.futures", workload="W1", n=n, chunksize=chunksize)
            if wall * 10 > PEER_LIMIT and n != peer_sizes[-1]:
                skipped.append(f"W1 mpi4py.futures chunksize {chunksize}: N above {n} (a run took {wall:.0f} s)")
                break
    for n in peer_sizes:
        wall = measure(f"W1 dask N={n}", dask("W1", n), ["tasks_per_second"], runs, tool="dask", workload="W1", n=n)
        if wall * 10 > PEER_LIMIT and n != peer_sizes[-1]:
            skipped.append(f"W1 dask: N above {n} (a run took {wall:.0f} s)")
            break

    # W2: submit loop.
    n = 1_000_000 if not QUICK else 1000
    measure(f"W2 taskfarm N={n}", taskfarm("W2", n), ["tasks_per_second"], runs, tool="taskfarm", workload="W2", n=n)
    measure(f"W2 mpi4py.futures N={n // 10}", mpi4py("W2", n // 10), ["tasks_per_second"], runs,
            tool="mpi4py.futures", workload="W2", n=n // 10)
    measure(f"W2 dask N={n // 1000 or 1000}", dask("W2", n // 1000 or 1000), ["tasks_per_second"], runs,
            tool="dask", workload="W2", n=n // 1000 or 1000)

    # W3: one task at a time, np 3.
    n = 10_000 if not QUICK else 200
    measure("W3 taskfarm np 3", taskfarm("W3", n, np=3), ["median_us"], runs, tool="taskfarm", workload="W3", n=n)
    measure("W3 mpi4py.futures (1 worker)", mpi4py("W3", n, workers=1), ["median_us"], runs, tool="mpi4py.futures",
            workload="W3", n=n)
    measure("W3 dask (1 worker)", dask("W3", n // 10, workers=1), ["median_us"], runs, tool="dask", workload="W3",
            n=n // 10)

    # W4: parallel efficiency of busy tasks.
    for micros in (1000, 100, 10):
        measure(f"W4 taskfarm {micros} us", taskfarm("W4", micros), ["efficiency"], runs, tool="taskfarm", workload="W4",
                n=micros)
        measure(f"W4 mpi4py.futures {micros} us", mpi4py("W4", micros), ["efficiency"], runs, tool="mpi4py.futures",
                workload="W4", n=micros)
        if micros >= 1000:
            measure(f"W4 dask {micros} us", dask("W4", micros), ["efficiency"], runs, tool="dask", workload="W4", n=micros)
        else:
            skipped.append(f"W4 dask {micros} us: dask's per-task cost (~1 ms) makes the run pointless")

    # W5: 256 MiB argument, returned.
    mib = 256 if not QUICK else 8
    measure(f"W5 taskfarm {mib} MiB", taskfarm("W5", mib), ["gb_per_second"], runs, tool="taskfarm", workload="W5", n=mib)
    measure(f"W5 mpi4py.futures {mib} MiB", mpi4py("W5", mib), ["gb_per_second"], runs, tool="mpi4py.futures",
            workload="W5", n=mib)
    measure(f"W5 dask {mib} MiB", dask("W5", mib), ["gb_per_second"], runs, tool="dask", workload="W5", n=mib)

    # W6: memory per pending task.
    for n in sized([1_000_000, 10_000_000], [2000]):
        measure(f"W6 taskfarm N={n}", taskfarm("W6", n),
                ["client_bytes_per_task", "scheduler_bytes_per_task", "seconds"], runs if n < 10_000_000 else min(runs, 5),
                tool="taskfarm", workload="W6", n=n)

    # W7: start-up, launcher to first result, against a bare MPI_Init/MPI_Finalize program.
    for tool, command in (("raw_mpi", raw(4, "init")), ("taskfarm", taskfarm("W7", 1))) if not ONLY or "W7" in ONLY else ():
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, timeout=120)
            samples.append(time.perf_counter() - start)
        results.append(dict(label=f"W7 start-up {tool} np 4", metric="wall_seconds", median=statistics.median(samples),
                            min=min(samples), max=max(samples), values=samples, command=" ".join(command), tool=tool,
                            workload="W7"))
        print(f"W7 start-up {tool:35s} wall_seconds={statistics.median(samples):.4g}", flush=True)

    # W8: W1 oversubscribed, np 8 on 2 cores.
    n = 1_000_000 if not QUICK else 1000
    measure(f"W8 taskfarm np 8 N={n}", taskfarm("W1", n, np=8), ["tasks_per_second"], runs, tool="taskfarm",
            workload="W8", n=n)
    measure(f"W8 mpi4py.futures 6 workers chunksize 10000 N={n}", mpi4py("W1", n, 10000, workers=6),
            ["tasks_per_second"], runs, tool="mpi4py.futures", workload="W8", n=n)

    # WL: the local farm (started plainly: 2 workers on threads of one process) beside the MPI farm
    # with the same 2 workers (np 4), in one run: W1 and W4. Then W9, a CPU-bound map of 1 ms
    # tasks, inline (local_workers=0) against the local farm's default, one worker per core.
    n = 1_000_000 if not QUICK else 1000
    for tool, command in (("taskfarm local", local("W1", n, 2)), ("taskfarm", taskfarm("W1", n))):
        measure(f"WL W1 {tool} N={n}", command, ["tasks_per_second"], runs, tool=tool, workload="WL", kind="W1", n=n)
    for micros in (1000, 100, 10):
        for tool, command in (("taskfarm local", local("W4", micros, 2)), ("taskfarm", taskfarm("W4", micros))):
            measure(f"WL W4 {tool} {micros} us", command, ["efficiency"], runs, tool=tool, workload="WL", kind="W4",
                    n=micros)
    n = 4000 if not QUICK else 100
    for tool, workers in (("taskfarm inline", 0), ("taskfarm local", -1)):
        measure(f"WL W9 {tool} N={n}", local("W9", n, workers), ["seconds"], runs, tool=tool, workload="WL", kind="W9",
                n=n)

    # WI: a lazy map of N tiny tasks read as it goes (imap), 2 workers: the client's peak memory
    # as N grows. Peers: mpi4py.futures' executor.map and multiprocessing's Pool.imap (their lazy
    # maps), chunksize 1024 as taskfarm's chunks of a large map.
    for n in sized([1_000_000, 10_000_000, 100_000_000], [1000, 10000]):
        measure(f"WI taskfarm N={n}", taskfarm("WI", n), ["client_peak_rss_mib", "tasks_per_second"],
                runs if n < 100_000_000 else min(runs, 3), tool="taskfarm", workload="WI", n=n)
        if n > 10_000_000:
            skipped.append(f"WI peers N={n}: their memory grows with N (see N=10^7)")
            continue
        measure(f"WI mpi4py.futures N={n}", mpi4py("WI", n, 1024), ["client_peak_rss_mib", "tasks_per_second"], runs,
                tool="mpi4py.futures", workload="WI", n=n)
        measure(f"WI multiprocessing N={n}",
                [PYTHON, os.path.join(HERE, "peers", "multiprocessing_bench.py"), "WI", str(n), "1024", "2"],
                ["client_peak_rss_mib", "tasks_per_second"], runs, tool="multiprocessing", workload="WI", n=n)

    # WG: task graphs, Futures as arguments (issue 14), np 4 (2 workers) beside dask's own way
    # (client.submit with futures as arguments, the dask-mpi layout). chain: x = submit(increment, x)
    # n times; tree: a map of n leaves, then add(a, b) level by level; pipeline: n blocks of 1 MiB,
    # load -> summarise -> a tree of combine. mpi4py.futures has no task graphs.
    graphs = (("chain", [1000, 10_000, 100_000]), ("tree", [1000, 10_000, 100_000, 1_000_000]),
              ("pipeline", [100, 1000, 4000]))
    metrics = {"chain": ["tasks_per_second", "us_per_link", "seconds"], "tree": ["tasks_per_second", "seconds"],
               "pipeline": ["seconds", "blocks_per_second", "mb_per_second", "tasks_per_second", "worker_peak_rss_mib"]}
    taskfarm_only = {"pipeline": ["blocks_moved_mb", "blocks_moved_share"]}  # dask does not tag its blocks
    for kind, sizes in graphs:
        for n in sized(sizes, [100]):
            measure(f"WG {kind} taskfarm N={n}", taskfarm("WG", n, kind=kind), metrics[kind] + taskfarm_only.get(kind, []),
                    runs, tool="taskfarm", workload="WG", kind=kind, n=n)
            if kind == "pipeline":  # what placement by input bytes saves: the same run without the rule
                measure(f"WG {kind} taskfarm without placement by input bytes N={n}",
                        taskfarm("WG", n, kind=kind, env=["TASKFARM_PLACE_BY_INPUT_BYTES=0"]),
                        metrics[kind] + taskfarm_only[kind], runs, tool="taskfarm", workload="WG", kind=kind, n=n,
                        placement="without the rule")
        peer_sizes = sized(sizes, [100])  # the same sizes, until a run would pass PEER_LIMIT
        for n in peer_sizes:
            wall = measure(f"WG {kind} dask N={n}", dask("WG", n, kind=kind), metrics[kind], runs, tool="dask",
                           workload="WG", kind=kind, n=n)
            if wall * 10 > PEER_LIMIT and n != peer_sizes[-1]:
                skipped.append(f"WG {kind} dask: N above {n} (a run took {wall:.0f} s)")
                break
    if not ONLY or "WG" in ONLY:
        skipped.append("WG mpi4py.futures: it has no task graphs (a future cannot be an argument of submit)")

    # WT: the cost of the trace (Options::trace, issue 15): W1 with TASKFARM_TRACE and without,
    # one after the other in the same run. The trace file goes to a temporary directory.
    trace_dir = tempfile.mkdtemp(prefix="taskfarm-wt-")
    for n in sized([100_000, 1_000_000], [1000]):
        for traced in (False, True):
            env = [f"TASKFARM_TRACE={os.path.join(trace_dir, 'wt.json')}"] if traced else []
            measure(f"WT taskfarm {'traced' if traced else 'untraced'} N={n}", taskfarm("W1", n, env=env),
                    ["tasks_per_second"], runs, tool="taskfarm", workload="WT", n=n, traced=traced)
    shutil.rmtree(trace_dir, ignore_errors=True)

    # W1H, W2H, W5H: W1 at N = 1e6, W2 and W5 again, every tool with huge pages for malloc.
    n = 1_000_000 if not QUICK else 1000
    measure(f"W1H taskfarm N={n}", taskfarm("W1", n, huge_pages=True), ["tasks_per_second"], runs, tool="taskfarm",
            workload="W1H", n=n)
    measure(f"W1H mpi4py.futures chunksize 10000 N={n}", mpi4py("W1", n, 10000, huge_pages=True),
            ["tasks_per_second"], runs, tool="mpi4py.futures", workload="W1H", n=n, chunksize=10000)
    measure(f"W2H taskfarm N={n}", taskfarm("W2", n, huge_pages=True), ["tasks_per_second"], runs, tool="taskfarm",
            workload="W2H", n=n)
    mib = 256 if not QUICK else 8
    for tool, command in (("taskfarm", taskfarm("W5", mib, huge_pages=True)),
                          ("mpi4py.futures", mpi4py("W5", mib, huge_pages=True)),
                          ("dask", dask("W5", mib, huge_pages=True))):
        measure(f"W5H {tool} {mib} MiB", command, ["gb_per_second"], runs, tool=tool, workload="W5H", n=mib)

    record = dict(date=datetime.datetime.now().isoformat(timespec="seconds"), machine=platform.node(),
                  cores=CORES, runs=runs, quick=QUICK, skipped=skipped, results=results)
    name = "quick.json" if QUICK else "results.json"
    if ONLY:  # merge into the full record: these workloads replaced, the rest kept
        with open(os.path.join(HERE, "results", name)) as previous:
            full = json.load(previous)
        full["results"] = [r for r in full["results"] if r.get("workload") not in ONLY] + results
        full["skipped"] = [s for s in full.get("skipped", []) if s.split()[0] not in ONLY] + \
            [s for s in skipped if s.split()[0] in ONLY]
        full.setdefault("updated", []).append(f"{record['date']}: {','.join(sorted(ONLY))}")
        record = full
    with open(os.path.join(HERE, "results", name), "w") as out:
        json.dump(record, out, indent=1)
    print(f"wrote bench/results/{name}")


if __name__ == "__main__":
    main()
