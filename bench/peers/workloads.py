"""The benchmark workloads as plain Python functions, shared by both Python peers.

Each workload takes an executor-like object with submit/map and returns a dict of figures.
"""
import statistics
import time


def square(i):
    return i * i


def identity(i):
    return i


def spin(microseconds):
    until = time.perf_counter() + microseconds * 1e-6
    turns = 0
    while time.perf_counter() < until:
        turns += 1
    return turns


def echo(values):
    return values


def w1(map_all, n):
    start = time.perf_counter()
    results = map_all(square, range(n))
    took = time.perf_counter() - start
    assert results[-1] == (n - 1) ** 2
    return {"seconds": took, "tasks_per_second": n / took}


def wi(imap, n):
    """A lazy map of n tiny tasks, read as it goes: the calling process's peak memory."""
    import resource
    start = time.perf_counter()
    count = 0
    for result in imap(square, range(n)):
        if result == count * count:
            count += 1
    took = time.perf_counter() - start
    assert count == n
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": took, "tasks_per_second": n / took, "client_peak_rss_mib": peak_mib}


def w2(submit, result, n):
    start = time.perf_counter()
    futures = [submit(identity, i) for i in range(n)]
    results = [result(f) for f in futures]
    took = time.perf_counter() - start
    assert results[-1] == n - 1
    return {"seconds": took, "tasks_per_second": n / took}


def w3(submit, result, n):
    micros = []
    for i in range(n + 100):
        start = time.perf_counter()
        assert result(submit(square, i)) == i * i
        if i >= 100:
            micros.append((time.perf_counter() - start) * 1e6)
    micros.sort()
    return {"median_us": statistics.median(micros), "p10_us": micros[len(micros) // 10],
            "p90_us": micros[len(micros) * 9 // 10]}


def w4(map_all, microseconds, workers):
    tasks = max(20, 2_000_000 * workers // microseconds)
    start = time.perf_counter()
    map_all(spin, [microseconds] * tasks)
    took = time.perf_counter() - start
    return {"tasks": tasks, "seconds": took, "efficiency": tasks * microseconds * 1e-6 / (workers * took)}


def w5(submit, result, mebibytes):
    import numpy
    payload = numpy.full(mebibytes * (1 << 20) // 8, 1.5)
    result(submit(echo, numpy.zeros(16)))
    start = time.perf_counter()
    back = result(submit(echo, payload))
    took = time.perf_counter() - start
    assert back.shape == payload.shape and back[-1] == 1.5
    return {"seconds": took, "gb_per_second": 2.0 * payload.nbytes / took / 1e9}


# WG, task graphs: futures as arguments (dask's client.submit(fn, future)). The same graphs and
# functions as bench/taskfarm_bench.cpp's `WG chain|tree|pipeline n`.
BLOCK_VALUES = 131_072  # 1 MiB of float64
BLOCK_OFFSET = 1.0e6


def increment(x):
    return x + 1


def leaf(i):
    return i


def add(a, b):
    return a + b


def load_block(seed, index):
    import numpy
    return BLOCK_OFFSET + numpy.random.default_rng([seed, index]).random(BLOCK_VALUES)


def summarise(block):
    """(count, mean, m2, min, max) of a block, in two passes as examples/05_pipeline.cpp."""
    mean = float(block.mean())
    deviations = block - mean
    return (block.size, mean, float(deviations @ deviations), float(block.min()), float(block.max()))


def combine(a, b):
    """Two summaries as one (Chan, Golub and LeVeque's pairwise update)."""
    if a[0] == 0:
        return b
    if b[0] == 0:
        return a
    count = a[0] + b[0]
    delta = b[1] - a[1]
    weight_b = b[0] / count
    return (count, a[1] + delta * weight_b, a[2] + b[2] + delta * delta * a[0] * weight_b, min(a[3], b[3]),
            max(a[4], b[4]))


def tree_reduce(submit, fn, level):
    """Pairwise, a level at a time, in order; an odd one goes up as it is. Waits for nothing."""
    while len(level) > 1:
        pairs = [submit(fn, a, b) for a, b in zip(level[::2], level[1::2])]
        level = pairs + level[len(pairs) * 2:]
    return level[0]


def workers_peak_mib():
    """The largest peak resident memory (VmHWM) of the workers, ranks 2 and up of this mpirun job
    on this host (sibling processes: the same parent), in MiB; -1 if none is found."""
    import os
    parent, peak = os.getppid(), -1
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) != parent:
                    continue
            with open(f"/proc/{pid}/environ", "rb") as environ:
                env = dict(v.split(b"=", 1) for v in environ.read().split(b"\0") if b"=" in v)
            if int(env.get(b"OMPI_COMM_WORLD_RANK", b"-1")) < 2:
                continue
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return peak / 1024 if peak >= 0 else -1


def wg(kind, submit, map_futures, result, n):
    """One task graph of the given kind and size, submitted whole, timed until its last result.

    submit(fn, *args) and map_futures(fn, xs) return futures and take futures as arguments."""
    start = time.perf_counter()
    if kind == "chain":  # x = submit(increment, x), n times: each link waits for the one before
        x = submit(increment, 0)
        for _ in range(1, n):
            x = submit(increment, x)
        assert result(x) == n
        tasks = n
    elif kind == "tree":  # n leaves from a map, then add(a, b) level by level: 2n - 1 tasks
        total = result(tree_reduce(submit, add, map_futures(leaf, range(n))))
        assert total == n * (n - 1) // 2
        tasks = 2 * n - 1
    elif kind == "pipeline":  # n blocks of 1 MiB: load -> summarise -> tree of combine: 3n - 1 tasks
        summaries = [submit(summarise, submit(load_block, 2024, i)) for i in range(n)]
        total = result(tree_reduce(submit, combine, summaries))
        assert total[0] == n * BLOCK_VALUES and total[3] >= BLOCK_OFFSET and total[4] <= BLOCK_OFFSET + 1
        tasks = 3 * n - 1
    else:
        raise SystemExit(f"unknown graph {kind} (chain, tree, pipeline)")
    took = time.perf_counter() - start
    figures = {"seconds": took, "tasks": tasks, "tasks_per_second": tasks / took}
    if kind == "chain":
        figures["us_per_link"] = took / n * 1e6
    if kind == "pipeline":
        figures["blocks_per_second"] = n / took
        figures["mb_per_second"] = n * BLOCK_VALUES * 8 / took / 1e6
        figures["worker_peak_rss_mib"] = workers_peak_mib()
    return figures
