#pragma once
// The report of a run (Options::report, docs/observability.md): one self-contained HTML page,
// its CSS and JavaScript inline, its data a JSON block (nlohmann-json) the script reads, and
// a Content-Security-Policy that forbids every request, so that it opens from file:// with no
// network. The script puts every user string (function names, errors, hosts) in the page as
// text, never as markup; in the JSON, '<' is written \u003c, so no string can end the block.
//
// The page: a summary (wall time, tasks, failures, retries, cancelled, efficiency = busy
// worker time / available worker time), the task stream (a lane per worker thread, a mark per
// task run coloured by function, a tooltip each), tasks completed over time, a table per
// function (count, total, mean, p50, p99, bytes in and out, failures), each worker thread's
// use, the failed tasks with their errors, and the configuration and layout.

#include "trace_data.hpp"

#include <string>

namespace taskfarm::detail {

// At most this many runs are drawn in the task stream (the rest are in the tables); the page
// says how many were left out.
constexpr std::size_t report_mark_cap = 50'000;

// The page. final: the run has ended (else the page says it is a moment of a running job).
std::string html_report(const TraceData& data, bool final);

// Writes it to path through path + ".tmp" and a rename. Throws std::runtime_error naming the
// path and the reason.
void write_html_report(const TraceData& data, const std::string& path, bool final);

}  // namespace taskfarm::detail
