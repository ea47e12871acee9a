#pragma once
// The task trace as a Chrome trace-event file (Options::trace, docs/observability.md), which
// Perfetto and chrome://tracing open. The JSON Object Format of the Trace Event Format:
//
//   displayTimeUnit  "ns" (a hint for the viewer: ts and dur are microseconds whatever it says)
//   otherData        layout, workers, the configuration, slice_cap, slices_not_kept and, when
//                    slices were not kept, a sentence saying what was aggregated
//   traceEvents      pid = rank, tid = executor thread; times in µs (double) from start_ns
//     M  process_name "rank R (worker) on H", thread_name "rank R host H thread T",
//        process_sort_index / thread_sort_index (tracks in rank and thread order)
//     X  one per slice, cat "task": the function's name (a chunk: "map chunk of F (N elements)"),
//        args task, attempt, bytes_in, bytes_out, outcome, queued_us; a chunk's element runs
//        nest inside it. A slice that really overlaps another of its thread (it should not
//        happen) is drawn on the thread's overlap track, tid = thread + 1000 ("... (overlap)")
//     s/f  a flow arrow per TraceData::Flow whose two slices are known, cat and name "input"
//     C  per counter sample and rank: "tasks" {queued, running}, "bytes held" {bytes}
//     b/e  an input transfer, async (transfers overlap), on the receiving rank, tid 100000
//        ("inputs received"), cat "transfer", name "input received", args task, from, to, bytes
//
// Strings (function names, hosts, configuration values) go through nlohmann-json, which
// escapes them.

#include "trace_data.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace taskfarm::detail {

// The whole trace as one JSON value (small traces and tests; write_chrome_trace streams).
nlohmann::json chrome_trace(const TraceData& data);

// Writes chrome_trace(data) to path, event by event, through path + ".tmp" and a rename, so
// a reader never sees half a file. Throws std::runtime_error naming the path and the
// system's reason when it cannot.
void write_chrome_trace(const TraceData& data, const std::string& path);

}  // namespace taskfarm::detail
