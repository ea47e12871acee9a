#include "report_html.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

namespace taskfarm::detail {
namespace {

using nlohmann::json;

// The page around the data. Everything the script shows of the data goes in as text
// (textContent, createTextNode, SVG <title>), never as markup.
constexpr const char* page_head = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>taskfarm report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 24px 40px;color:#222;background:#fff}
h1{font-size:20px;margin:18px 0 4px}h2{font-size:16px;margin:26px 0 8px;border-bottom:1px solid #ddd}
.note{color:#666}.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:18px}table{border-collapse:collapse}
td,th{border-bottom:1px solid #eee;padding:3px 10px;text-align:right}th{background:#f6f6f6}
td:first-child,th:first-child{text-align:left}.error{color:#a00;white-space:pre-wrap;text-align:left}
svg{display:block;border:1px solid #ddd;background:#fcfcfc}.lane{font-size:11px;fill:#444}
.mark:hover{stroke:#000;stroke-width:1}.bar{fill:#4a7fc1}.use{fill:#58a55c}
</style></head><body>
<h1>taskfarm report</h1><div id="when" class="note"></div>
<div id="summary" class="cards"></div>
<h2>Task stream</h2><div class="note" id="stream-note"></div><div id="stream"></div>
<h2>Tasks completed over time</h2><div id="completed"></div>
<h2>Functions</h2><div id="functions"></div>
<h2>Worker use</h2><div id="use"></div>
<h2>Failed tasks</h2><div id="failures"></div>
<h2>Configuration and layout</h2><div id="configuration"></div>
<script type="application/json" id="data">)html";

constexpr const char* page_tail = R"html(</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = String(text);
  return e;
}
function svg(tag, attrs, title) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (title !== undefined) { const t = document.createElementNS(NS, "title"); t.textContent = title; e.appendChild(t); }
  return e;
}
function seconds(s) { return s >= 100 ? s.toFixed(0) + " s" : s >= 1 ? s.toFixed(2) + " s" : (s * 1000).toFixed(2) + " ms"; }
function us(x) { return x >= 1e6 ? (x / 1e6).toFixed(2) + " s" : x >= 1e3 ? (x / 1e3).toFixed(2) + " ms" : x.toFixed(1) + " µs"; }
function bytes(b) { const u = ["B", "KB", "MB", "GB", "TB"]; let i = 0; while (b >= 1000 && i < 4) { b /= 1000; i++; } return (i ? b.toFixed(1) : b) + " " + u[i]; }
function colour(f) { return "hsl(" + ((f * 137.5) % 360).toFixed(0) + ",55%,55%)"; }
function table(head, rows) {
  const t = el("table"), h = el("tr");
  head.forEach(x => h.appendChild(el("th", {}, x)));
  t.appendChild(h);
  rows.forEach(r => { const tr = el("tr"); r.forEach(x => tr.appendChild(el("td", {}, x))); t.appendChild(tr); });
  return t;
}
const s = data.summary;
document.getElementById("when").textContent = (data.final ? "The run ended. " : "A moment of a running job; this page is rewritten every " + data.interval + " s. ") +
  "Layout: " + data.layout + ", " + data.workers + " worker(s).";
const cards = [["wall time", seconds(s.wall_s)], ["tasks", s.tasks], ["done", s.done], ["failed", s.failed],
  ["retries", s.retries], ["cancelled", s.cancelled], ["efficiency", (100 * s.efficiency).toFixed(1) + " %"]];
cards.forEach(([k, v]) => { const c = el("div", {class: "card"}); c.appendChild(el("b", {}, v)); c.appendChild(document.createTextNode(k)); document.getElementById("summary").appendChild(c); });

// The task stream: a lane per worker thread, a mark per run.
(function () {
  const lanes = data.lanes, m = data.marks, width = 1100, left = 190, lane_h = 18, top = 4;
  const span = Math.max(s.wall_s, 1e-9), x = t => left + (width - left - 10) * t / span;
  const g = svg("svg", {width: width, height: top + lanes.length * lane_h + 22, id: "stream-svg"});
  lanes.forEach((name, i) => { const t = svg("text", {x: 4, y: top + i * lane_h + 13, class: "lane"}); t.textContent = name; g.appendChild(t); });
  for (let i = 0; i < m.lane.length; i++) {
    const f = m.function[i], w = Math.max(1, x(m.start[i] + m.dur[i]) - x(m.start[i]));
    const tip = data.functions[f] + "\ntask " + m.task[i] + ", attempt " + m.attempt[i] + (m.ok[i] ? "" : " (failed)") +
      "\nstarted at " + seconds(m.start[i]) + ", ran " + seconds(m.dur[i]) + "\n" + data.lanes[m.lane[i]];
    g.appendChild(svg("rect", {class: "mark", x: x(m.start[i]), y: top + m.lane[i] * lane_h + 2, width: w, height: lane_h - 4,
      fill: m.ok[i] ? colour(f) : "#d33"}, tip));
  }
  const axis = svg("text", {x: left, y: top + lanes.length * lane_h + 16, class: "lane"}); axis.textContent = "0 … " + seconds(span); g.appendChild(axis);
  document.getElementById("stream").appendChild(g);
  document.getElementById("stream-note").textContent = m.lane.length + " runs drawn" +
    (data.marks_not_drawn ? "; " + data.marks_not_drawn + " more are counted in the tables but not drawn" : "") + ".";
})();

// Tasks completed over time.
(function () {
  const c = data.completed, width = 1100, height = 120, g = svg("svg", {width: width, height: height + 20});
  const most = Math.max(1, ...c.counts), w = (width - 20) / Math.max(1, c.counts.length);
  c.counts.forEach((n, i) => g.appendChild(svg("rect", {class: "bar", x: 10 + i * w, y: 10 + height * (1 - n / most), width: Math.max(1, w - 1),
    height: height * n / most}, n + " tasks completed in " + seconds(i * c.bin_s) + " … " + seconds((i + 1) * c.bin_s))));
  document.getElementById("completed").appendChild(g);
})();

document.getElementById("functions").appendChild(table(["function", "runs", "total", "mean", "p50", "p99", "bytes in", "bytes out", "failures"],
  data.function_rows.map(r => [r.name, r.runs, us(r.total_us), us(r.mean_us), us(r.p50_us), us(r.p99_us), bytes(r.bytes_in), bytes(r.bytes_out), r.failures])));

(function () {
  const rows = data.use.map(u => [u.lane, seconds(u.busy_s), (100 * u.share).toFixed(1) + " %", u.runs]);
  document.getElementById("use").appendChild(table(["worker thread", "busy", "of the wall time", "runs"], rows));
})();

(function () {
  const f = data.failures, box = document.getElementById("failures");
  if (!f.length) { box.appendChild(el("p", {class: "note"}, "None.")); return; }
  box.appendChild(table(["task", "function", "error", "where", "attempts"], f.map(x => [x.task, x.function, x.type + ": " + x.message, "rank " + x.rank + " on " + x.host, x.attempts])));
  box.querySelectorAll("td:nth-child(3)").forEach(td => td.className = "error");
  if (data.failures_not_kept) box.appendChild(el("p", {class: "note"}, data.failures_not_kept + " more failures are not listed."));
})();

document.getElementById("configuration").appendChild(table(["setting", "value"], data.configuration.concat(data.layout_rows)));
</script></body></html>
)html";

// JSON inside <script>: '<' only occurs inside strings, where \u003c means the same.
std::string script_safe(const json& value) {
    auto text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '<') out += "\\u003c";
        else out += c;
    }
    return out;
}

json report_data(const TraceData& data, bool final) {
    auto at = [&](std::int64_t ns) { return double(ns - data.start_ns) / 1e9; };
    double wall = std::max(0.0, at(data.end_ns));

    // Lanes: every worker thread that ran something, in rank and thread order.
    std::map<std::pair<int, std::uint32_t>, std::size_t> lane_of;
    for (const auto& slice : data.slices) lane_of.emplace(std::make_pair(slice.rank, slice.thread), 0);
    json lanes = json::array();
    std::size_t next = 0;
    for (auto& [key, index] : lane_of) {
        index = next++;
        auto host = std::size_t(key.first) < data.hosts.size() ? data.hosts[std::size_t(key.first)] : "";
        lanes.push_back("rank " + std::to_string(key.first) + " host " + host + " thread " + std::to_string(key.second));
    }

    // Marks: task runs (a chunk's own run is the box its elements ran in: not a task).
    json lane = json::array(), start = json::array(), dur = json::array(), function = json::array(), task = json::array(),
         attempt = json::array(), ok = json::array();
    std::uint64_t not_drawn = data.slices_not_kept, retries = 0;
    std::vector<double> busy(lane_of.size(), 0.0);
    std::vector<std::uint64_t> runs(lane_of.size(), 0);
    std::vector<double> ends;
    for (const auto& slice : data.slices) {
        if (slice.elements > 0) continue;
        auto l = lane_of[{slice.rank, slice.thread}];
        double begin = at(slice.start_ns), ran = double(slice.end_ns - slice.start_ns) / 1e9;
        busy[l] += ran;
        ++runs[l];
        if (slice.attempt > 1) ++retries;
        ends.push_back(at(slice.end_ns));
        if (lane.size() >= report_mark_cap) {
            ++not_drawn;
            continue;
        }
        lane.push_back(l);
        start.push_back(begin);
        dur.push_back(ran);
        function.push_back(slice.function);
        task.push_back(slice.task);
        attempt.push_back(slice.attempt);
        ok.push_back(slice.ok ? 1 : 0);
    }

    // Completed over time: 100 bins over the wall time.
    constexpr std::size_t bins = 100;
    double bin = std::max(wall, 1e-9) / bins;
    std::vector<std::uint64_t> counts(bins, 0);
    for (double end : ends) counts[std::min(bins - 1, std::size_t(std::max(0.0, end) / bin))]++;

    json function_rows = json::array();
    for (std::size_t f = 0; f < data.totals.size() && f < data.functions.size(); ++f) {
        const auto& t = data.totals[f];
        if (t.runs == 0) continue;
        function_rows.push_back({{"name", data.functions[f]}, {"runs", t.runs}, {"total_us", double(t.total_ns) / 1e3},
                                 {"mean_us", double(t.total_ns) / double(t.runs) / 1e3}, {"p50_us", t.p50_ns / 1e3},
                                 {"p99_us", t.p99_ns / 1e3}, {"bytes_in", t.bytes_in}, {"bytes_out", t.bytes_out},
                                 {"failures", t.failures}});
    }

    // Efficiency: the worker threads' busy time over what they had (threads × wall time).
    double busy_total = 0;
    json use = json::array();
    for (std::size_t l = 0; l < busy.size(); ++l) {
        busy_total += busy[l];
        use.push_back({{"lane", lanes[l]}, {"busy_s", busy[l]}, {"share", wall > 0 ? busy[l] / wall : 0}, {"runs", runs[l]}});
    }
    int threads = data.workers > 0 ? data.workers * std::max(1, data.threads_per_worker) : 1;
    double efficiency = wall > 0 ? std::min(1.0, busy_total / (wall * threads)) : 0;

    json failures = json::array();
    for (const auto& f : data.failures)
        failures.push_back({{"task", f.task}, {"function", f.function < data.functions.size() ? data.functions[f.function] : ""},
                            {"type", f.type}, {"message", f.message}, {"rank", f.rank}, {"host", f.host},
                            {"attempts", f.attempts}});

    json configuration = json::array();
    for (const auto& [name, value] : data.configuration) configuration.push_back({name, value});
    json layout_rows = json::array();
    for (std::size_t rank = 0; rank < data.hosts.size(); ++rank) {
        std::string role = rank == 0 ? "scheduler" : rank == 1 ? "client" : "worker";
        if (data.workers == 0 && rank > 1) break;
        layout_rows.push_back({"rank " + std::to_string(rank), role + " on " + data.hosts[rank]});
    }

    std::string interval;
    for (const auto& [name, value] : data.configuration)
        if (name == "report_interval") interval = value;
    return {{"final", final},
            {"interval", interval},
            {"layout", data.layout},
            {"workers", data.workers},
            {"summary", {{"wall_s", wall}, {"tasks", data.tasks_submitted}, {"done", data.tasks_done},
                         {"failed", data.tasks_failed}, {"retries", retries}, {"cancelled", data.tasks_cancelled},
                         {"efficiency", efficiency}}},
            {"functions", data.functions},
            {"lanes", std::move(lanes)},
            {"marks", {{"lane", lane}, {"start", start}, {"dur", dur}, {"function", function}, {"task", task},
                       {"attempt", attempt}, {"ok", ok}}},
            {"marks_not_drawn", not_drawn},
            {"completed", {{"bin_s", bin}, {"counts", counts}}},
            {"function_rows", std::move(function_rows)},
            {"use", std::move(use)},
            {"failures", std::move(failures)},
            {"failures_not_kept", data.failures_not_kept},
            {"configuration", std::move(configuration)},
            {"layout_rows", std::move(layout_rows)}};
}

}  // namespace

std::string html_report(const TraceData& data, bool final) {
    return std::string(page_head) + script_safe(report_data(data, final)) + page_tail;
}

void write_html_report(const TraceData& data, const std::string& path, bool final) {
    auto page = html_report(data, final);
    const std::string temporary = path + ".tmp";
    auto failure = [&](int error) {
        std::remove(temporary.c_str());
        return std::runtime_error("cannot write the report " + path + ": " + std::strerror(error));
    };
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw failure(errno);
        out.write(page.data(), std::streamsize(page.size()));
        out.flush();
        if (!out) throw failure(errno ? errno : EIO);
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) throw failure(errno);
}

}  // namespace taskfarm::detail
