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
