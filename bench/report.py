#!/usr/bin/python3
"""Turns bench/results/results.json into the tables and plots of docs/performance.md.

    bench/report.py [results.json]

The tables replace what stands between the results markers of docs/performance.md; the
plots are written to bench/results/*.png with gnuplot.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results", "results.json")
DOC = os.path.join(ROOT, "docs", "performance.md")
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

with open(SOURCE) as f:
    record = json.load(f)
RESULTS = record["results"]


def find(metric, **facts):
    for r in RESULTS:
        if r["metric"] == metric and all(r.get(k) == v for k, v in facts.items()):
            return r
    return None


def cell(r, digits=3, scale=1.0):
    if r is None:
        return "—"
    def number(x):
        x *= scale
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"
    return f"{number(r['median'])} ({number(r['min'])}–{number(r['max'])})"


def ratio(a, b):
    if a is None or b is None or not b["median"]:
        return "—"
    return f"{a['median'] / b['median']:.2f}×"


lines = [BEGIN, "",
         f"Measured {record['date']} on `{record['machine']}` ({record['cores']} cores); each figure is the median of "
         f"{record['runs']} runs, (min–max). Produced by `make bench` (`bench/run.py`, then `bench/report.py`); "
         "raw data in `bench/results/results.json`, with the exact command of every figure." +
         (f" Re-measured since: {'; '.join(record['updated'])}." if record.get("updated") else ""), ""]

# Baselines
lines += ["### Raw MPI on this machine", "", "| figure | value |", "|---|---|",
          f"| 8-byte ping-pong, one way, np 2 (µs) | {cell(find('one_way_us', workload='latency'))} |",
          f"| bandwidth, 256 MiB ping-pong, np 2 (GB/s) | {cell(find('gb_per_second', workload='bandwidth'))} |",
          f"| one task at a time, master → worker → master, np 3 (µs) | {cell(find('median_us', workload='roundtrip'))} |"]
for batch in (1, 64, 1024):
    lines.append(f"| master–worker farm, {batch} task(s) per message, np 4 (tasks/s) | "
                 f"{cell(find('tasks_per_second', workload='rate', batch=batch))} |")

# W1
lines += ["", "### W1 — `map(square, 0..N)` + gather, one future per task, np 4 (2 workers); tasks/s", "",
          "| N | taskfarm | mpi4py.futures chunksize 1 | chunksize 1000 | chunksize 10000 | dask | taskfarm / best mpi4py | taskfarm / dask |",
          "|---|---|---|---|---|---|---|---|"]
for n in (10_000, 100_000, 1_000_000):
    tf = find("tasks_per_second", tool="taskfarm", workload="W1", n=n)
    peers = [find("tasks_per_second", tool="mpi4py.futures", workload="W1", n=n, chunksize=c) for c in (1, 1000, 10000)]
    dk = find("tasks_per_second", tool="dask", workload="W1", n=n)
    best = max((p for p in peers if p), key=lambda p: p["median"], default=None)
    lines.append(f"| {n:,} | {cell(tf)} | " + " | ".join(cell(p) for p in peers) +
                 f" | {cell(dk)} | {ratio(tf, best)} | {ratio(tf, dk)} |")

# W2
lines += ["", "### W2 — a submit loop of N tasks, then gather, np 4; tasks/s", "", "| tool | N | tasks/s |", "|---|---|---|"]
for tool in ("taskfarm", "mpi4py.futures", "dask"):
    r = find("tasks_per_second", tool=tool, workload="W2")
    if r:
        lines.append(f"| {tool} | {r['n']:,} | {cell(r)} |")

# W3
raw_rt = find("median_us", workload="roundtrip")
lines += ["", "### W3 — one task at a time (submit, get), one worker; median µs", "",
          "| tool | median µs | ratio to raw MPI round trip |", "|---|---|---|"]
for tool in ("taskfarm", "mpi4py.futures", "dask"):
    r = find("median_us", tool=tool, workload="W3")
    lines.append(f"| {tool} | {cell(r)} | {ratio(r, raw_rt)} |")

# W4
lines += ["", "### W4 — parallel efficiency of busy-spinning tasks, np 4 (2 workers)", "",
          "| task duration | taskfarm | mpi4py.futures (chunksize 1) | dask |", "|---|---|---|---|"]
for micros in (1000, 100, 10):
    lines.append(f"| {micros} µs | " + " | ".join(
        cell(find("efficiency", tool=t, workload="W4", n=micros)) for t in ("taskfarm", "mpi4py.futures", "dask")) + " |")

# W5
raw_bw = find("gb_per_second", workload="bandwidth")
lines += ["", "### W5 — a 256 MiB `std::vector<double>` (numpy array) argument, returned by the task; GB/s counted both ways", "",
          "| tool | GB/s | share of raw MPI bandwidth |", "|---|---|---|"]
for tool in ("taskfarm", "mpi4py.futures", "dask"):
    r = find("gb_per_second", tool=tool, workload="W5")
    share = f"{100 * r['median'] / raw_bw['median']:.1f} %" if r and raw_bw else "—"
    lines.append(f"| {tool} | {cell(r)} | {share} |")

# W6
lines += ["", "### W6 — memory per pending task (taskfarm)", "",
          "| tasks in flight | client bytes/task | scheduler bytes/task | whole map, seconds |", "|---|---|---|---|"]
for r in [r for r in RESULTS if r["workload"] == "W6" and r["metric"] == "client_bytes_per_task"]:
    n = r["n"]
    lines.append(f"| {n:,} | {cell(r)} | {cell(find('scheduler_bytes_per_task', workload='W6', n=n))} | "
                 f"{cell(find('seconds', workload='W6', n=n))} |")

# W7
bare = find("wall_seconds", tool="raw_mpi", workload="W7")
tfs = find("wall_seconds", tool="taskfarm", workload="W7")
over = f"{(tfs['median'] - bare['median']) * 1000:.0f} ms" if bare and tfs else "—"
lines += ["", "### W7 — start-up: `mpirun -np 4` to first result, whole command", "",
          "| program | seconds |", "|---|---|",
          f"| bare `MPI_Init` + `MPI_Finalize` | {cell(bare)} |", f"| taskfarm, one task | {cell(tfs)} |",
          f"| taskfarm over bare MPI | {over} |"]

# W8
w8 = find("tasks_per_second", tool="taskfarm", workload="W8")
w1 = find("tasks_per_second", tool="taskfarm", workload="W1", n=1_000_000)
lines += ["", "### W8 — W1 oversubscribed: np 8 (6 workers) on 2 cores, N = 10⁶; tasks/s", "",
          "| tool | tasks/s | versus W1 at np 4 |", "|---|---|---|",
          f"| taskfarm | {cell(w8)} | {ratio(w8, w1)} |",
          f"| mpi4py.futures, chunksize 10000 | {cell(find('tasks_per_second', tool='mpi4py.futures', workload='W8'))} | — |"]

# The local farm
def wl(metric, tool, kind, **facts):
    return find(metric, tool=tool, workload="WL", kind=kind, **facts)

l1, m1 = wl("tasks_per_second", "taskfarm local", "W1"), wl("tasks_per_second", "taskfarm", "W1")
lines += ["", "### The local farm — started plainly (2 workers on threads of one process) beside the MPI farm "
          "(np 4: 2 workers), in one run", "",
          "| workload | local farm | MPI farm | local / MPI |", "|---|---|---|---|",
          f"| W1, N = {l1['n'] if l1 else '10⁶'}, tasks/s | {cell(l1)} | {cell(m1)} | {ratio(l1, m1)} |"]
for micros in (1000, 100, 10):
    le, me = wl("efficiency", "taskfarm local", "W4", n=micros), wl("efficiency", "taskfarm", "W4", n=micros)
    lines.append(f"| W4 efficiency, {micros} µs tasks | {cell(le)} | {cell(me)} | {ratio(le, me)} |")
inl, loc = wl("seconds", "taskfarm inline", "W9"), wl("seconds", "taskfarm local", "W9")
if inl and loc:
    lines += ["", f"W9, a CPU-bound map of {loc['n']} tasks of 1 ms: inline (`TASKFARM_LOCAL_WORKERS=0`) "
              f"{cell(inl)} s, the local farm's default (one worker per core) {cell(loc)} s: "
              f"{inl['median'] / loc['median']:.2f}× faster started plainly."]

# WI: the lazy map
wi = [r for r in RESULTS if r["workload"] == "WI" and r["metric"] == "client_peak_rss_mib"]
if wi:
    lines += ["", "### WI — a lazy map (`imap`) of N tiny tasks over `iota`, read as it goes, 2 workers; "
              "the client's peak resident memory (MiB) and tasks/s", "",
              "| N | taskfarm `imap` (np 4) | mpi4py.futures `executor.map` (np 3, chunksize 1024) | "
              "multiprocessing `Pool(2).imap` (chunksize 1024) |", "|---|---|---|---|"]
    for n in sorted({r["n"] for r in wi}):
        row = []
        for tool in ("taskfarm", "mpi4py.futures", "multiprocessing"):
            rss = find("client_peak_rss_mib", tool=tool, workload="WI", n=n)
            rate = find("tasks_per_second", tool=tool, workload="WI", n=n)
            row.append(f"{cell(rss)} MiB, {cell(rate)}/s" if rss else "—")
        lines.append(f"| {n:,} | " + " | ".join(row) + " |")

# WG: task graphs
def wg(metric, tool, kind, n, placement=None):
    return find(metric, tool=tool, workload="WG", kind=kind, n=n, placement=placement)


wg_sizes = {kind: sorted({r["n"] for r in RESULTS if r["workload"] == "WG" and r.get("kind") == kind})
            for kind in ("chain", "tree", "pipeline")}
if any(wg_sizes.values()):
    lines += ["", "### WG — task graphs, `Future`s as arguments: taskfarm (np 4, 2 workers) beside dask's "
              "`client.submit(fn, future)` (dask-mpi layout, 2 workers)", "",
              "The whole graph is submitted at once and timed until its last result is on the client."]
    built = {r["command"].split("/taskfarm_bench")[0].split()[-1] + "/taskfarm_bench" for r in RESULTS
             if r["workload"] == "WG" and r["tool"] == "taskfarm"}
    outside = sorted(b for b in built if not os.path.abspath(b).startswith(ROOT + os.sep))
    if outside:  # a build of something other than this tree's runtime: say so beside the figures
        lines[-1] += (f" taskfarm ran `{'`, `'.join(outside)}`, a build outside this repository "
                      "(see \"Task graphs beside dask\" below).")
    if wg_sizes["chain"]:
        lines += ["", "**chain** — `x = submit(increment, x)` N times, each link waiting for the one before", "",
                  "| N | taskfarm tasks/s | µs per link | dask tasks/s | µs per link | taskfarm / dask |",
                  "|---|---|---|---|---|---|"]
        for n in wg_sizes["chain"]:
            tf, dk = wg("tasks_per_second", "taskfarm", "chain", n), wg("tasks_per_second", "dask", "chain", n)
            lines.append(f"| {n:,} | {cell(tf)} | {cell(wg('us_per_link', 'taskfarm', 'chain', n))} | {cell(dk)} | "
                         f"{cell(wg('us_per_link', 'dask', 'chain', n))} | {ratio(tf, dk)} |")
    if wg_sizes["tree"]:
        lines += ["", "**tree** — `map(leaf, 0..N)`, then `submit(add, a, b)` pairwise, level by level, until one: "
                  "2N − 1 tasks", "",
                  "| N leaves | taskfarm tasks/s | seconds | dask tasks/s | seconds | taskfarm / dask |",
                  "|---|---|---|---|---|---|"]
        for n in wg_sizes["tree"]:
            tf, dk = wg("tasks_per_second", "taskfarm", "tree", n), wg("tasks_per_second", "dask", "tree", n)
            lines.append(f"| {n:,} | {cell(tf)} | {cell(wg('seconds', 'taskfarm', 'tree', n))} | {cell(dk)} | "
                         f"{cell(wg('seconds', 'dask', 'tree', n))} | {ratio(tf, dk)} |")
    if wg_sizes["pipeline"]:
        lines += ["", "**pipeline** — N blocks of 1 MiB: `load` → `summarise` (its argument the load's `Future`) → "
                  "a tree of `combine` on the 40-byte summaries: 3N − 1 tasks (examples/05_pipeline.cpp)", "",
                  "| N blocks | taskfarm seconds | MB/s of blocks | a worker's peak MiB | dask seconds | MB/s of blocks | "
                  "a worker's peak MiB | taskfarm / dask |", "|---|---|---|---|---|---|---|---|"]
        for n in wg_sizes["pipeline"]:
            row = []
            for tool in ("taskfarm", "dask"):
                row += [cell(wg("seconds", tool, "pipeline", n)), cell(wg("mb_per_second", tool, "pipeline", n)),
                        cell(wg("worker_peak_rss_mib", tool, "pipeline", n))]
            tf, dk = wg("mb_per_second", "taskfarm", "pipeline", n), wg("mb_per_second", "dask", "pipeline", n)
            lines.append(f"| {n:,} | " + " | ".join(row) + f" | {ratio(tf, dk)} |")
        without = "without the rule"
        if any(wg("seconds", "taskfarm", "pipeline", n, without) for n in wg_sizes["pipeline"]):
            lines += ["", "**placement by input bytes** — the same taskfarm pipeline with the rule and without it "
                      "(`TASKFARM_PLACE_BY_INPUT_BYTES=0`): seconds, and the block bytes that moved between ranks "
                      "(a summary made in another process than its block; the graph needs none to move)", "",
                      "| N blocks | seconds with | MB moved with | share moved with | seconds without | MB moved without | "
                      "share moved without |", "|---|---|---|---|---|---|---|"]
            for n in wg_sizes["pipeline"]:
                row = []
                for placement in (None, without):
                    row += [cell(wg(m, "taskfarm", "pipeline", n, placement))
                            for m in ("seconds", "blocks_moved_mb", "blocks_moved_share")]
                lines.append(f"| {n:,} | " + " | ".join(row) + " |")

# WT: the trace's cost
wt_sizes = sorted({r["n"] for r in RESULTS if r["workload"] == "WT"})
if wt_sizes:
    lines += ["", "### WT — W1 with the trace on (`TASKFARM_TRACE`) beside W1 without, np 4, tasks/s", "",
              "| N | without | with the trace | with / without |", "|---|---|---|---|"]
    for n in wt_sizes:
        off = find("tasks_per_second", tool="taskfarm", workload="WT", n=n, traced=False)
        on = find("tasks_per_second", tool="taskfarm", workload="WT", n=n, traced=True)
        lines.append(f"| {n:,} | {cell(off)} | {cell(on)} | {ratio(on, off)} |")

# Huge pages
w1h = find("tasks_per_second", tool="taskfarm", workload="W1H")
m1h = find("tasks_per_second", tool="mpi4py.futures", workload="W1H")
w2h = find("tasks_per_second", tool="taskfarm", workload="W2H")
lines += ["", "### With huge pages for malloc (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1` on every rank, every tool)", "",
          "| workload | taskfarm | mpi4py.futures | ratio | same workload without |", "|---|---|---|---|---|",
          f"| W1, N = 10⁶, tasks/s (mpi4py chunksize 10000) | {cell(w1h)} | {cell(m1h)} | {ratio(w1h, m1h)} | "
          f"{cell(find('tasks_per_second', tool='taskfarm', workload='W1', n=1_000_000))} |",
          f"| W2, N = 10⁶, tasks/s | {cell(w2h)} | — | — | {cell(find('tasks_per_second', tool='taskfarm', workload='W2'))} |"]
w5h = find("gb_per_second", tool="taskfarm", workload="W5H")
lines.append(f"| W5, 256 MiB, GB/s | {cell(w5h)} | {cell(find('gb_per_second', tool='mpi4py.futures', workload='W5H'))} | "
             f"{ratio(w5h, find('gb_per_second', tool='mpi4py.futures', workload='W5H'))} | "
             f"{cell(find('gb_per_second', tool='taskfarm', workload='W5'))} |")
d5h = find("gb_per_second", tool="dask", workload="W5H")
if w5h and raw_bw:
    lines += ["", f"W5 with huge pages: taskfarm {100 * w5h['median'] / raw_bw['median']:.1f} % of raw MPI bandwidth"
              + (f", dask {cell(d5h)} GB/s." if d5h else ".")]

if record.get("skipped"):
    lines += ["", "Not run, and why:", ""] + [f"- {s}" for s in record["skipped"]]
lines += ["", "![W1 throughput](../bench/results/w1_throughput.png)", "",
          "![W4 efficiency](../bench/results/w4_efficiency.png)", "", END]

with open(DOC) as f:
    doc = f.read()
start, end = doc.index(BEGIN), doc.index(END) + len(END)
with open(DOC, "w") as f:
    f.write(doc[:start] + "\n".join(lines) + doc[end:])

# Plots.
out = os.path.join(HERE, "results")
series = {"taskfarm": dict(tool="taskfarm"), "mpi4py.futures chunksize 1": dict(tool="mpi4py.futures", chunksize=1),
          "mpi4py.futures chunksize 10000": dict(tool="mpi4py.futures", chunksize=10000), "dask": dict(tool="dask")}
plots = []
for i, (title, facts) in enumerate(series.items()):
    path = os.path.join(out, f"w1_{i}.dat")
    with open(path, "w") as f:
        for n in (10_000, 100_000, 1_000_000):
            r = find("tasks_per_second", workload="W1", n=n, **facts)
            if r:
                f.write(f"{n} {r['median']} {r['min']} {r['max']}\n")
    plots.append(f"'{path}' using 1:2:3:4 with yerrorlines title '{title}'")
w4 = []
for i, tool in enumerate(("taskfarm", "mpi4py.futures", "dask")):
    path = os.path.join(out, f"w4_{i}.dat")
    with open(path, "w") as f:
        for micros in (10, 100, 1000):
            r = find("efficiency", tool=tool, workload="W4", n=micros)
            if r:
                f.write(f"{micros} {r['median']} {r['min']} {r['max']}\n")
    w4.append(f"'{path}' using 1:2:3:4 with yerrorlines title '{tool}'")
script = f"""
set terminal pngcairo size 900,560
set logscale xy
set grid
set key left top
set output '{out}/w1_throughput.png'
set title 'W1: map + gather, np 4 (2 workers), tasks per second'
set xlabel 'tasks (N)'
set ylabel 'tasks / s'
plot {', '.join(plots)}
set output '{out}/w4_efficiency.png'
unset logscale y
set yrange [0:1.05]
set key right bottom
set title 'W4: parallel efficiency against task duration, 2 workers'
set xlabel 'task duration (µs)'
set ylabel 'efficiency'
plot {', '.join(w4)}
"""
subprocess.run(["gnuplot"], input=script, text=True, check=True)
print("wrote docs/performance.md tables and bench/results/*.png")
