#include "trace_record.hpp"

#include "function_names.hpp"

#include <taskfarm/detail/registry.hpp>

#include <algorithm>
#include <bit>
#include <cmath>

namespace taskfarm::detail {

TraceRecord::TraceRecord(Clock::time_point start, std::vector<std::string> hosts, int client_rank, std::size_t slice_cap)
    : start_ns_(start.time_since_epoch().count()),
      hosts_(std::move(hosts)),
      client_rank_(client_rank),
      slice_cap_(slice_cap),
      function_keys_(1),  // index 0: a task this client did not submit
      totals_(1) {}

void TraceRecord::submitted(TaskId task, std::uint32_t elements, const TaskCode& code, const std::string& name,
                            std::span<const TaskId> inputs, std::int64_t at_ns) {
    auto key = std::make_tuple(code.invoker, code.function.module, code.function.offset, name);
    auto [it, added] = function_index_.emplace(key, std::uint32_t(function_keys_.size()));
    if (added) {
        function_keys_.push_back(key);
        totals_.emplace_back();
    }
    submissions_.push_back({task, elements, it->second, at_ns});
    for (auto input : inputs)
        if (flows_.size() < slice_cap_) flows_.push_back({input, task});
}

const TraceRecord::Submission* TraceRecord::submission_of(TaskId task) const {
    // The last submission at or before this id: the task itself, or the chunk of an element.
    auto after = std::upper_bound(submissions_.begin(), submissions_.end(), task,
                                  [](TaskId id, const Submission& s) { return id < s.task; });
    if (after == submissions_.begin()) return nullptr;
    const auto& s = *std::prev(after);
    return task == s.task || task <= s.task + s.elements ? &s : nullptr;
}

std::uint32_t TraceRecord::function_of(TaskId task) const {
    const auto* submission = submission_of(task);
    return submission ? submission->function : 0;
}

std::size_t TraceRecord::bucket(std::int64_t ns) {
    if (ns <= 1) return 0;
    auto value = std::uint64_t(ns);
    auto power = std::size_t(std::bit_width(value) - 1);  // 2^power <= value
    // The three bits below the leading one: which eighth of [2^power, 2^(power+1)).
    auto eighth = power >= 3 ? std::size_t((value >> (power - 3)) & 7) : std::size_t((value << (3 - power)) & 7);
    return std::min(power * 8 + eighth, std::size_t(64 * 8 - 1));
}

double TraceRecord::bucket_value(std::size_t bucket) {
    auto power = bucket / 8;
    auto eighth = bucket % 8;
    return std::ldexp(1.0 + (double(eighth) + 0.5) / 8.0, int(power));  // the bucket's middle
}

void TraceRecord::count(Totals& totals, std::int64_t ran, bool ok, std::uint64_t bytes_in, std::uint64_t bytes_out) {
    ran = std::max<std::int64_t>(0, ran);
    ++totals.runs;
    totals.failures += ok ? 0 : 1;
    totals.total_ns += ran;
    totals.bytes_in += bytes_in;
    totals.bytes_out += bytes_out;
    ++totals.histogram[bucket(ran)];
}

// A chunk's element runs, the first beginning at `start`, each where the one before it ended.
void TraceRecord::count(Totals& totals, std::int64_t start, std::span<const ElementRun> runs) {
    for (const auto& run : runs) {
        count(totals, run.end_ns - start, run.ok, 0, 0);
        start = run.end_ns;
    }
}

// A task's run, or a chunk's run without its element runs: a chunk's own run is not a task's
// (its elements are), its bytes are its function's.
void TraceRecord::count(Totals& totals, const TraceData::Slice& run) {
    if (run.elements == 0) return count(totals, run.end_ns - run.start_ns, run.ok, run.bytes_in, run.bytes_out);
    totals.bytes_in += run.bytes_in;
    totals.bytes_out += run.bytes_out;
}

void TraceRecord::add(int rank, const EventBatch& batch) {
    // Runs kept are counted in their function's totals when the data is taken (data()); runs
    // beyond the cap are counted as they come, and dropped.
    auto element = batch.element_runs.begin();
    for (const auto& a : batch.attempts) {
        auto function = function_of(a.task);
        auto runs = std::span(element, a.element_runs);
        element += a.element_runs;
        TraceData::Slice slice{a.task, a.attempt, rank, a.thread, 0, a.queued_ns, a.start_ns, a.end_ns, a.ok != 0,
                               a.bytes_in, a.bytes_out, function, a.elements};
        if (kept_runs() >= slice_cap_) {
            slices_not_kept_ += 1 + runs.size();
            count(totals_[function], slice);
            count(totals_[function], a.start_ns, runs);
            continue;
        }
        slices_.push_back(slice);
        auto kept = std::min(runs.size(), slice_cap_ - kept_runs());
        if (kept > 0) {
            chunk_runs_.push_back({slices_.size() - 1, element_runs_.size(), kept});
            element_runs_.insert(element_runs_.end(), runs.begin(), runs.begin() + std::ptrdiff_t(kept));
        }
        if (kept < runs.size()) {
            slices_not_kept_ += runs.size() - kept;
            count(totals_[function], kept > 0 ? runs[kept - 1].end_ns : a.start_ns, runs.subspan(kept));
        }
    }
    for (const auto& t : batch.transfers)
        if (transfers_.size() < slice_cap_) transfers_.push_back({t.task, t.from, rank, t.bytes, t.start_ns, t.end_ns});
    for (const auto& c : batch.counters)
        if (counters_.size() < slice_cap_) counters_.push_back({rank, c.at_ns, c.queued, c.running, c.bytes_held});
}

void TraceRecord::fetch_asked(TaskId task, std::int64_t at_ns) {
    if (transfers_.size() < slice_cap_) fetches_.emplace(task, at_ns);
}

void TraceRecord::fetched(TaskId task, int from, std::uint64_t bytes, std::int64_t at_ns) {
    auto asked = fetches_.extract(task);
    if (asked && transfers_.size() < slice_cap_)
        transfers_.push_back({task, from, client_rank_, bytes, asked.mapped(), std::max(asked.mapped(), at_ns)});
}

void TraceRecord::released(TaskId task, std::int64_t at_ns) {
    if (releases_.size() < slice_cap_) releases_.push_back({task, at_ns});
}

void TraceRecord::failed(TaskId task, std::string type, std::string message, int rank, std::string host,
                         int attempts) {
    if (failures_.size() >= failure_cap) {
        ++failures_not_kept_;
        return;
    }
    failures_.push_back({task, function_of(task), std::move(type), std::move(message), rank, std::move(host), attempts});
}

void TraceRecord::answered(int rank, std::int64_t asked_at, std::int64_t sent_at, std::int64_t received_at) {
    auto round_trip = received_at - asked_at;
    if (round_trip < 0) return;
    auto& clock = clocks_[rank];
    if (clock.round_trip >= 0 && clock.round_trip <= round_trip) return;
    // The answer was made somewhere within the round trip: taken to be its middle.
    clock = {sent_at - (asked_at + round_trip / 2), round_trip};
}

bool TraceRecord::on_client_host(int rank) const {
    return rank == client_rank_ || (std::size_t(rank) < hosts_.size() && std::size_t(client_rank_) < hosts_.size() &&
                                    hosts_[std::size_t(rank)] == hosts_[std::size_t(client_rank_)]);
}

const TraceRecord::Clocks* TraceRecord::estimate(int rank) const {
    auto it = clocks_.find(rank);
    return it == clocks_.end() || it->second.round_trip < 0 ? nullptr : &it->second;
}

// On the client's host: one steady clock (CLOCK_MONOTONIC) for every process, exact.
std::int64_t TraceRecord::offset(int rank) const {
    const auto* estimated = on_client_host(rank) ? nullptr : estimate(rank);
    return estimated ? estimated->offset : 0;
}

std::int64_t TraceRecord::offset_error(int rank) const {
    const auto* estimated = on_client_host(rank) ? nullptr : estimate(rank);
    return estimated ? estimated->round_trip / 2 : 0;
}

namespace {

// The name a function key shows: TaskOptions::name, else the plain function's symbol, else
// the callable's type, demangled.
std::string name_of(const std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::string>& key) {
    const auto& [invoker, module, offset, given] = key;
    if (!given.empty()) return given;
    if (module != 0) {
        try {
            auto name = function_name_at(function_at({module, offset}));
            if (!name.empty()) return name;
        } catch (const std::exception&) {  // not code of this process: named by its type below
        }
    }
    if (const char* type = callable_type_of(invoker)) return demangled(type);
    return invoker == 0 ? "(not submitted by this client)" : "(unknown function)";
}

}  // namespace

TraceData TraceRecord::data(Clock::time_point now, int workers, std::string layout,
                            std::vector<std::pair<std::string, std::string>> configuration) const {
    TraceData data;
    data.start_ns = start_ns_;
    data.end_ns = now.time_since_epoch().count();
    data.hosts = hosts_;
    data.workers = workers;
    data.layout = std::move(layout);
    data.configuration = std::move(configuration);
    // One entry per name: a function that ran as plain tasks and in a map's chunks has two
    // keys (two invokers), and one row.
    std::vector<std::uint32_t> renamed(function_keys_.size());
    std::map<std::string, std::uint32_t> by_name;
    for (std::size_t f = 0; f < function_keys_.size(); ++f) {
        auto [it, added] = by_name.emplace(name_of(function_keys_[f]), std::uint32_t(data.functions.size()));
        if (added) data.functions.push_back(it->first);
        renamed[f] = it->second;
    }
    // The runs kept, counted now; then those counted as they were dropped.
    auto counted = totals_;
    for (const auto& slice : slices_) count(counted[slice.function], slice);
    for (const auto& chunk : chunk_runs_) {
        const auto& slice = slices_[chunk.slice];
        count(counted[slice.function], slice.start_ns, element_runs(chunk));
    }
    std::vector<Totals> totals(data.functions.size());
    for (std::size_t f = 0; f < counted.size(); ++f) {
        auto& into = totals[renamed[f]];
        const auto& t = counted[f];
        into.runs += t.runs;
        into.failures += t.failures;
        into.bytes_in += t.bytes_in;
        into.bytes_out += t.bytes_out;
        into.total_ns += t.total_ns;
        for (std::size_t b = 0; b < t.histogram.size(); ++b) into.histogram[b] += t.histogram[b];
    }
    std::map<int, std::int64_t> offsets;
    auto moved = [&](int rank, std::int64_t t) {
        auto it = offsets.find(rank);
        if (it == offsets.end()) it = offsets.emplace(rank, offset(rank)).first;
        return t - it->second;
    };
    data.slices.reserve(kept_runs());
    data.slices = slices_;
    for (const auto& chunk : chunk_runs_) {
        const auto& slice = slices_[chunk.slice];
        auto start = slice.start_ns;
        for (const auto& run : element_runs(chunk)) {
            data.slices.push_back({slice.task + 1 + run.index, run.run, slice.rank, slice.thread, 0, slice.queued_ns, start,
                                   run.end_ns, run.ok != 0, 0, 0, slice.function, 0});
            start = run.end_ns;
        }
    }
    for (auto& s : data.slices) {
        if (const auto* submission = submission_of(s.task)) s.submitted_ns = submission->at_ns;  // the client's clock
        s.function = renamed[s.function];
        s.queued_ns = moved(s.rank, s.queued_ns);
        s.start_ns = moved(s.rank, s.start_ns);
        s.end_ns = moved(s.rank, s.end_ns);
    }
    data.flows = flows_;
    data.transfers = transfers_;
    for (auto& t : data.transfers) {
        t.start_ns = moved(t.to, t.start_ns);
        t.end_ns = moved(t.to, t.end_ns);
    }
    data.releases = releases_;
    data.counters = counters_;
    for (auto& c : data.counters) c.at_ns = moved(c.rank, c.at_ns);
    for (const auto& t : totals) {
        TraceData::FunctionTotals out{t.runs, t.failures, t.total_ns, t.bytes_in, t.bytes_out, 0, 0};
        // The bucket in which the p-th run of the sorted durations falls.
        auto percentile = [&](double p) {
            auto rank = std::uint64_t(std::ceil(p * double(t.runs)));
            std::uint64_t seen = 0;
            for (std::size_t b = 0; b < t.histogram.size(); ++b) {
                seen += t.histogram[b];
                if (seen >= std::max<std::uint64_t>(rank, 1)) return bucket_value(b);
            }
            return 0.0;
        };
        if (t.runs > 0) {
            out.p50_ns = percentile(0.50);
            out.p99_ns = percentile(0.99);
        }
        data.totals.push_back(out);
    }
    for (int rank = 0; rank < int(hosts_.size()); ++rank) {
        TraceData::RankClock clock{rank, offset(rank)};
        if (const auto* estimated = estimate(rank))  // also on the client's host: how good an estimate is
            clock = {rank, clock.offset_ns, true, estimated->offset, estimated->round_trip / 2};
        data.clocks.push_back(clock);
    }
    data.failures = failures_;
    for (auto& f : data.failures) f.function = renamed[f.function];
    data.failures_not_kept = failures_not_kept_;
    data.slices_not_kept = slices_not_kept_;
    data.slice_cap = slice_cap_;
    return data;
}

}  // namespace taskfarm::detail
