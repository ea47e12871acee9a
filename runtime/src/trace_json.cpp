#include "trace_json.hpp"

#include "roles.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace taskfarm::detail {
namespace {

using nlohmann::json;
using Slice = TraceData::Slice;

// ---- Where each slice is drawn -------------------------------------------------------------
//
// Perfetto builds a stack per track from the X events and drops or garbles one that starts
// inside another and ends after it, so every track must be a proper nesting: a chunk's
// element runs inside the chunk, the rest one after another. The data nearly is: the times
// of one thread come from one clock, moved by one offset. But the chunk's times and its
// elements' are separate clock reads, rounded when moved onto the client's clock, so a child
// may stick out of its parent, or two runs overlap, by a nanosecond or so. Children are
// clamped into their parent, and a sibling that starts up to rounding_slack_ns before the
// previous one ends is started at that end. A longer overlap is not rounding (it should not
// happen): that slice is drawn on an overlap track of its thread rather than garbling the
// thread's track. All of this is done in integer nanoseconds; Perfetto turns each ts and dur
// back into nanoseconds by rounding (llround(µs * 1000)), so what nests here nests there.

constexpr std::int64_t rounding_slack_ns = 1000;
constexpr std::uint64_t overlap_tid_step = 1000;  // lane k of thread T: tid T + k * 1000
constexpr std::uint64_t transfers_tid = 100000;
constexpr std::uint64_t releases_tid = 100001;
constexpr std::size_t no_parent = std::numeric_limits<std::size_t>::max();

struct Placement {
    std::int64_t start = 0;  // ns, as drawn
    std::int64_t end = 0;
    std::uint32_t lane = 0;  // 0: the thread's own track; k > 0: its k-th overlap track
    std::size_t parent = no_parent;  // the chunk slice it is drawn inside
};

Placement as_recorded(const Slice& slice) {
    return {slice.start_ns, std::max(slice.start_ns, slice.end_ns), 0, no_parent};
}

void clamp_into(Placement& child, const Placement& parent) {
    child.start = std::clamp(child.start, parent.start, parent.end);
    child.end = std::clamp(child.end, child.start, parent.end);
}

std::int64_t overlap(const Placement& a, const Placement& b) {
    return std::min(a.end, b.end) - std::max(a.start, b.start);
}

class TrackPlacer {
public:
    TrackPlacer(const std::vector<Slice>& slices, std::vector<Placement>& placed)
        : slices_(slices), placed_(placed) {}

    // track: the slices of one (rank, thread), by start.
    void place(const std::vector<std::size_t>& track) {
        find_parents(track);
        std::vector<std::pair<std::size_t, std::size_t>> families;  // (parent, child)
        for (std::size_t index : track)
            if (placed_[index].parent != no_parent) families.emplace_back(placed_[index].parent, index);
        std::stable_sort(families.begin(), families.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t begin = 0; begin < families.size();) {
            std::size_t end = begin;
            while (end < families.size() && families[end].first == families[begin].first) ++end;
            keep_siblings_apart(families, begin, end);
            begin = end;
        }
        assign_lanes(track);
        // A parent may have been started later by assign_lanes: clamping is monotonic, so
        // children that were apart stay apart.
        for (const auto& [parent, child] : families) {
            Placement& placement = placed_[child];
            if (placement.parent == no_parent) continue;
            clamp_into(placement, placed_[parent]);
            placement.lane = placed_[parent].lane;
        }
    }

private:
    // An element's id is its chunk's id + 1 + index, so its chunk is the one with the
    // greatest id below it, if that chunk is big enough; of several attempts of that chunk on
    // this thread, the one it overlaps most.
    void find_parents(const std::vector<std::size_t>& track) {
        chunks_.clear();
        for (std::size_t index : track)
            if (slices_[index].elements > 0) chunks_.push_back(index);
        if (chunks_.empty()) return;
        std::sort(chunks_.begin(), chunks_.end(), [&](std::size_t a, std::size_t b) {
            return std::tie(slices_[a].task, slices_[a].start_ns) < std::tie(slices_[b].task, slices_[b].start_ns);
        });
        for (std::size_t index : track) {
            const Slice& slice = slices_[index];
            if (slice.elements > 0) continue;
            auto above = std::lower_bound(chunks_.begin(), chunks_.end(), slice.task,
                                          [&](std::size_t chunk, TaskId task) { return slices_[chunk].task < task; });
            if (above == chunks_.begin()) continue;
            const Slice& chunk = slices_[*std::prev(above)];
            if (slice.task - chunk.task > chunk.elements) continue;
            std::size_t best = no_parent;
            for (auto it = above; it != chunks_.begin() && slices_[*std::prev(it)].task == chunk.task; --it) {
                std::size_t candidate = *std::prev(it);
                if (best == no_parent ||
                    overlap(placed_[index], placed_[candidate]) > overlap(placed_[index], placed_[best]))
                    best = candidate;
            }
            placed_[index].parent = best;
            clamp_into(placed_[index], placed_[best]);
        }
    }

    // families[begin, end): the children of one parent, in start order (clamping kept it).
    void keep_siblings_apart(const std::vector<std::pair<std::size_t, std::size_t>>& families, std::size_t begin,
                             std::size_t end) {
        std::int64_t previous_end = placed_[families[begin].first].start;
        for (std::size_t i = begin; i < end; ++i) {
            Placement& child = placed_[families[i].second];
            if (child.start < previous_end) {
                if (previous_end - child.start > rounding_slack_ns) {
                    child = as_recorded(slices_[families[i].second]);  // drawn on an overlap track
                    continue;
                }
                child.start = previous_end;
                child.end = std::max(child.end, child.start);
            }
            previous_end = child.end;
        }
    }

    // The slices with no parent, in start order, each on the first lane where it fits (after
    // a trim of rounding size); the thread's own track is lane 0.
    void assign_lanes(const std::vector<std::size_t>& track) {
        lane_ends_.clear();
        for (std::size_t index : track) {
            Placement& slice = placed_[index];
            if (slice.parent != no_parent) continue;
            std::uint32_t lane = 0;
            for (; lane < lane_ends_.size(); ++lane) {
                if (slice.start >= lane_ends_[lane]) break;
                if (lane_ends_[lane] - slice.start <= rounding_slack_ns) {
                    slice.start = lane_ends_[lane];
                    slice.end = std::max(slice.end, slice.start);
                    break;
                }
            }
            if (lane == lane_ends_.size()) lane_ends_.push_back(slice.end);
            slice.lane = lane;
            lane_ends_[lane] = slice.end;
        }
    }

    const std::vector<Slice>& slices_;
    std::vector<Placement>& placed_;
    std::vector<std::size_t> chunks_;
    std::vector<std::int64_t> lane_ends_;
};

std::vector<Placement> place_slices(const std::vector<Slice>& slices) {
    std::vector<Placement> placed(slices.size());
    std::transform(slices.begin(), slices.end(), placed.begin(), as_recorded);
    // By track, then start; a parent before the children that start with it.
    struct Key {
        int rank;
        std::uint32_t thread;
        std::int64_t start;
        std::int64_t minus_end;
        bool not_chunk;
        std::size_t index;
        auto operator<=>(const Key&) const = default;
    };
    std::vector<Key> keys(slices.size());
    for (std::size_t i = 0; i < slices.size(); ++i)
        keys[i] = {slices[i].rank, slices[i].thread, placed[i].start, -placed[i].end, slices[i].elements == 0, i};
    std::sort(keys.begin(), keys.end());
    std::vector<std::size_t> order(slices.size());
    std::transform(keys.begin(), keys.end(), order.begin(), [](const Key& key) { return key.index; });
    keys = {};
    TrackPlacer placer(slices, placed);
    std::vector<std::size_t> track;
    for (std::size_t begin = 0; begin < order.size();) {
        const Slice& first = slices[order[begin]];
        track.clear();
        std::size_t end = begin;
        for (; end < order.size() && slices[order[end]].rank == first.rank && slices[order[end]].thread == first.thread;
             ++end)
            track.push_back(order[end]);
        placer.place(track);
        begin = end;
    }
    return placed;
}

// ---- The events ----------------------------------------------------------------------------

std::uint64_t tid_of(const Slice& slice, const Placement& placement) {
    return slice.thread + std::uint64_t{placement.lane} * overlap_tid_step;
}

std::string host_of(const TraceData& data, int rank) {
    if (rank >= 0 && static_cast<std::size_t>(rank) < data.hosts.size() && !data.hosts[rank].empty())
        return data.hosts[rank];
    return "unknown";
}

std::string process_name(const TraceData& data, int rank) {
    const char* role = data.layout == "inline" ? "client, inline"
                       : rank == scheduler_rank ? "scheduler"
                       : rank == client_rank    ? "client"
                                                : "worker";
    return "rank " + std::to_string(rank) + " (" + role + ") on " + host_of(data, rank);
}

std::string thread_name(const TraceData& data, int rank, std::uint32_t thread, std::uint32_t lane) {
    std::string name = "rank " + std::to_string(rank) + " host " + host_of(data, rank) + " thread " + std::to_string(thread);
    if (lane == 1) name += " (overlap)";
    if (lane > 1) name += " (overlap " + std::to_string(lane) + ")";
    return name;
}

std::string slice_name(const TraceData& data, const Slice& slice) {
    std::string function =
        slice.function < data.functions.size() ? data.functions[slice.function] : "unknown function";
    if (slice.elements == 0) return function;
    return "map chunk of " + function + " (" + std::to_string(slice.elements) + " elements)";
}

json other_data(const TraceData& data) {
    json configuration = json::object();
    for (const auto& [name, value] : data.configuration) configuration[name] = value;
    json other{{"layout", data.layout},
               {"workers", data.workers},
               {"configuration", std::move(configuration)},
               {"slice_cap", data.slice_cap},
               {"slices_not_kept", data.slices_not_kept}};
    json functions = json::array();
    for (std::size_t f = 0; f < data.totals.size() && f < data.functions.size(); ++f) {
        const auto& t = data.totals[f];
        if (t.runs == 0) continue;
        functions.push_back({{"name", data.functions[f]},
                             {"runs", t.runs},
                             {"failures", t.failures},
                             {"total_ms", double(t.total_ns) / 1e6},
                             {"mean_us", double(t.total_ns) / double(t.runs) / 1e3},
                             {"p50_us", t.p50_ns / 1e3},
                             {"p99_us", t.p99_ns / 1e3},
                             {"bytes_in", t.bytes_in},
                             {"bytes_out", t.bytes_out}});
    }
    other["functions"] = std::move(functions);
    json clocks = json::array();
    for (const auto& c : data.clocks) {
        json clock{{"rank", c.rank}, {"offset_ns", c.offset_ns}};
        if (c.estimated) {
            clock["estimated_offset_ns"] = c.estimate_ns;
            clock["estimate_bound_ns"] = c.bound_ns;
        }
        clocks.push_back(std::move(clock));
    }
    other["clocks"] = std::move(clocks);
    if (data.slices_not_kept > 0)
        other["aggregated"] = std::to_string(data.slices_not_kept) + " task runs beyond the cap of " +
                              std::to_string(data.slice_cap) +
                              " slices are not drawn: they are counted only in the per-function totals "
                              "(runs, failures, time, bytes in and out, p50 and p99).";
    return other;
}

// Produces the events one at a time. The many ones (slices, flows, counters, transfers) are
// each filled into a json of their shape made once: building a fresh json per event spends
// most of the time allocating and freeing its nodes.
class EventWriter {
public:
    explicit EventWriter(const TraceData& data) : data_(data), placed_(place_slices(data.slices)) {}

    // sink(const json&) for each event; the json is only valid during the call.
    template <class Sink>
    void each(Sink&& sink) {
        metadata(sink);
        slices(sink);
        flows(sink);
        counters(sink);
        transfers(sink);
        releases(sink);
    }

private:
    double micros(std::int64_t ns) const { return static_cast<double>(ns - data_.start_ns) / 1000.0; }
    static double micros_between(std::int64_t from, std::int64_t to) { return static_cast<double>(to - from) / 1000.0; }

    template <class Sink>
    void metadata(Sink& sink) const {
        std::set<int> ranks;
        std::set<std::tuple<int, std::uint32_t, std::uint32_t>> tracks;  // rank, thread, lane
        for (std::size_t i = 0; i < data_.slices.size(); ++i) {
            ranks.insert(data_.slices[i].rank);
            tracks.emplace(data_.slices[i].rank, data_.slices[i].thread, placed_[i].lane);
        }
        for (const auto& counter : data_.counters) ranks.insert(counter.rank);
        std::set<int> receivers;
        for (const auto& transfer : data_.transfers) receivers.insert(transfer.to);
        ranks.insert(receivers.begin(), receivers.end());
        for (int rank : ranks) {
            sink(json{{"ph", "M"}, {"name", "process_name"}, {"pid", rank}, {"args", {{"name", process_name(data_, rank)}}}});
            sink(json{{"ph", "M"}, {"name", "process_sort_index"}, {"pid", rank}, {"args", {{"sort_index", rank}}}});
        }
        auto name_thread = [&](int rank, std::uint64_t tid, const std::string& name) {
            sink(json{{"ph", "M"}, {"name", "thread_name"}, {"pid", rank}, {"tid", tid}, {"args", {{"name", name}}}});
            sink(json{{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", rank}, {"tid", tid}, {"args", {{"sort_index", tid}}}});
        };
        for (const auto& [rank, thread, lane] : tracks)
            name_thread(rank, thread + std::uint64_t{lane} * overlap_tid_step, thread_name(data_, rank, thread, lane));
        for (int rank : receivers)
            name_thread(rank, transfers_tid, rank == client_rank && data_.layout != "inline" ? "results fetched" : "inputs received");
        if (!data_.releases.empty()) {
            if (!ranks.count(client_rank)) {
                sink(json{{"ph", "M"}, {"name", "process_name"}, {"pid", client_rank}, {"args", {{"name", process_name(data_, client_rank)}}}});
                sink(json{{"ph", "M"}, {"name", "process_sort_index"}, {"pid", client_rank}, {"args", {{"sort_index", client_rank}}}});
            }
            name_thread(client_rank, releases_tid, "results released");
        }
    }

    template <class Sink>
    void slices(Sink& sink) const {
        json event{{"ph", "X"}, {"cat", "task"}, {"name", ""}, {"pid", 0}, {"tid", 0}, {"ts", 0.0}, {"dur", 0.0},
                   {"args", {{"task", 0}, {"attempt", 0}, {"bytes_in", 0}, {"bytes_out", 0}, {"outcome", ""}, {"queued_us", 0.0}}}};
        json& args = event["args"];
        for (std::size_t i = 0; i < data_.slices.size(); ++i) {
            const Slice& slice = data_.slices[i];
            const Placement& placement = placed_[i];
            event["name"] = slice_name(data_, slice);
            event["pid"] = slice.rank;
            event["tid"] = tid_of(slice, placement);
            event["ts"] = micros(placement.start);
            event["dur"] = micros_between(placement.start, placement.end);
            args["task"] = slice.task;
            args["attempt"] = slice.attempt;
            args["bytes_in"] = slice.bytes_in;
            args["bytes_out"] = slice.bytes_out;
            args["outcome"] = slice.ok ? "ok" : "failed";
            args["queued_us"] = micros_between(slice.queued_ns, std::max(slice.queued_ns, slice.start_ns));
            // From the client's submit to the start: the scheduler, inputs, the trip, the queue.
            if (slice.submitted_ns != 0)
                args["waited_us"] = micros_between(slice.submitted_ns, std::max(slice.submitted_ns, slice.start_ns));
            else
                args.erase("waited_us");
            if (slice.elements > 0)
                args["elements"] = slice.elements;
            else
                args.erase("elements");
            sink(std::as_const(event));
        }
    }

    // An arrow binds to the slice open on its track at its time. A slice's own ends are
    // ambiguous (it may be closed, or not yet open, when the viewer reaches that time), so
    // the arrow leaves 1 ns before the producer's end and arrives 1 ns after the consumer's
    // start.
    template <class Sink>
    void flows(Sink& sink) const {
        if (data_.flows.empty()) return;
        struct Ends {
            std::size_t first = no_parent;  // the first attempt
            std::size_t last = no_parent;   // the last attempt
        };
        std::unordered_map<TaskId, Ends> by_task;
        for (const auto& flow : data_.flows) {
            by_task.emplace(flow.from, Ends{});
            by_task.emplace(flow.to, Ends{});
        }
        auto first_key = [&](std::size_t i) { return std::make_pair(data_.slices[i].attempt, placed_[i].start); };
        auto last_key = [&](std::size_t i) { return std::make_pair(data_.slices[i].attempt, placed_[i].end); };
        for (std::size_t i = 0; i < data_.slices.size(); ++i) {
            auto found = by_task.find(data_.slices[i].task);
            if (found == by_task.end()) continue;
            Ends& ends = found->second;
            if (ends.first == no_parent || first_key(i) < first_key(ends.first)) ends.first = i;
            if (ends.last == no_parent || last_key(i) > last_key(ends.last)) ends.last = i;
        }
        json start{{"ph", "s"}, {"cat", "input"}, {"name", "input"}, {"id", 0}, {"pid", 0}, {"tid", 0}, {"ts", 0.0}};
        json finish{{"ph", "f"}, {"bp", "e"}, {"cat", "input"}, {"name", "input"}, {"id", 0}, {"pid", 0}, {"tid", 0}, {"ts", 0.0}};
        std::uint64_t id = 0;
        for (const auto& flow : data_.flows) {
            ++id;
            std::size_t producer = by_task[flow.from].last;
            std::size_t consumer = by_task[flow.to].first;
            if (producer == no_parent || consumer == no_parent) continue;
            const Placement& out = placed_[producer];
            const Placement& in = placed_[consumer];
            start["id"] = id;
            start["pid"] = data_.slices[producer].rank;
            start["tid"] = tid_of(data_.slices[producer], out);
            start["ts"] = micros(out.end > out.start ? out.end - 1 : out.end);
            sink(std::as_const(start));
            finish["id"] = id;
            finish["pid"] = data_.slices[consumer].rank;
            finish["tid"] = tid_of(data_.slices[consumer], in);
            finish["ts"] = micros(in.end > in.start ? in.start + 1 : in.start);
            sink(std::as_const(finish));
        }
    }

    template <class Sink>
    void counters(Sink& sink) const {
        json tasks{{"ph", "C"}, {"name", "tasks"}, {"pid", 0}, {"ts", 0.0}, {"args", {{"queued", 0}, {"running", 0}}}};
        json bytes{{"ph", "C"}, {"name", "bytes held"}, {"pid", 0}, {"ts", 0.0}, {"args", {{"bytes", 0}}}};
        for (const auto& counter : data_.counters) {
            tasks["pid"] = bytes["pid"] = counter.rank;
            tasks["ts"] = bytes["ts"] = micros(counter.at_ns);
            tasks["args"]["queued"] = counter.queued;
            tasks["args"]["running"] = counter.running;
            bytes["args"]["bytes"] = counter.bytes_held;
            sink(std::as_const(tasks));
            sink(std::as_const(bytes));
        }
    }

    // Transfers overlap one another (a task fetches its inputs at once), which complete
    // events on one track may not; async events (b/e, one id each) may, and the viewers lay
    // them out in rows of their own under the receiving rank.
    template <class Sink>
    void transfers(Sink& sink) const {
        json begin{{"ph", "b"}, {"cat", "transfer"}, {"name", "input received"}, {"id", 0}, {"pid", 0},
                   {"tid", transfers_tid}, {"ts", 0.0}, {"args", {{"task", 0}, {"from", 0}, {"to", 0}, {"bytes", 0}}}};
        json end{{"ph", "e"}, {"cat", "transfer"}, {"name", "input received"}, {"id", 0}, {"pid", 0},
                 {"tid", transfers_tid}, {"ts", 0.0}};
        std::uint64_t id = 0;
        for (const auto& transfer : data_.transfers) {
            ++id;
            begin["name"] = end["name"] = transfer.to == client_rank ? "result fetched" : "input received";
            begin["id"] = end["id"] = id;
            begin["pid"] = end["pid"] = transfer.to;
            begin["ts"] = micros(transfer.start_ns);
            end["ts"] = micros(std::max(transfer.start_ns, transfer.end_ns));
            json& args = begin["args"];
            args["task"] = transfer.task;
            args["from"] = transfer.from;
            args["to"] = transfer.to;
            args["bytes"] = transfer.bytes;
            sink(std::as_const(begin));
            sink(std::as_const(end));
        }
    }

    // The client's Releases: an instant each, on a track of its own under the client.
    template <class Sink>
    void releases(Sink& sink) const {
        json release{{"ph", "i"}, {"s", "t"}, {"cat", "release"}, {"name", "released"}, {"pid", client_rank},
                     {"tid", releases_tid}, {"ts", 0.0}, {"args", {{"task", 0}}}};
        for (const auto& r : data_.releases) {
            release["ts"] = micros(r.at_ns);
            release["args"]["task"] = r.task;
            sink(std::as_const(release));
        }
    }

    const TraceData& data_;
    std::vector<Placement> placed_;
};

// Invalid UTF-8 (a host name, a configuration value) becomes U+FFFD instead of an exception.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

json chrome_trace(const TraceData& data) {
    json events = json::array();
    EventWriter(data).each([&](const json& event) { events.push_back(event); });
    return json{{"displayTimeUnit", "ns"}, {"otherData", other_data(data)}, {"traceEvents", std::move(events)}};
}

namespace {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

// The frame of the object is fixed text; every value in it goes through nlohmann. Events are
// dumped one at a time into a buffer written in large pieces, so a trace of millions of
// slices never exists as one JSON value. Returns 0, or the errno of a failed write.
int write_events(const TraceData& data, std::FILE* file) {
    std::string buffer = "{\"displayTimeUnit\":\"ns\",\"otherData\":" + dump(other_data(data)) + ",\"traceEvents\":[";
    constexpr std::size_t flush_at = std::size_t{1} << 20;
    int error = 0;
    auto flush = [&] {
        if (error == 0 && std::fwrite(buffer.data(), 1, buffer.size(), file) != buffer.size()) error = errno;
        buffer.clear();
    };
    bool first = true;
    EventWriter(data).each([&](const json& event) {
        buffer += first ? "\n" : ",\n";
        first = false;
        buffer += dump(event);
        if (buffer.size() >= flush_at) flush();
    });
    buffer += "\n]}\n";
    flush();
    return error;
}

}  // namespace

void write_chrome_trace(const TraceData& data, const std::string& path) {
    const std::string temporary = path + ".tmp";
    auto failure = [&](int error) {
        return std::runtime_error("cannot write the trace " + path + ": " + std::strerror(error));
    };
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(temporary.c_str(), "w"));
    if (!file) throw failure(errno);
    try {
        if (int error = write_events(data, file.get()); error != 0) throw failure(error);
        if (std::fclose(file.release()) != 0) throw failure(errno);
        if (std::rename(temporary.c_str(), path.c_str()) != 0) throw failure(errno);
    } catch (...) {
        file.reset();
        std::remove(temporary.c_str());
        throw;
    }
}

}  // namespace taskfarm::detail
