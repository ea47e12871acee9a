// Options::trace: a run of a few kinds of task writes a Chrome trace whose slices match the
// tasks that ran. Run as `trace <path> [--taskfarm-trace=<path>]` (the flag, or the
// TASKFARM_TRACE variable, or here Options::trace from the path): after the farm ends, the
// client reads the file back and checks it; prints "trace ok: ..." or what is wrong (status 1).

#include <taskfarm/taskfarm.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

static long square(long x) { return x * x; }
static long increment(long x) { return x + 1; }
static long flaky(long) { throw std::runtime_error("flaky fails every time <script>alert(1)</script>"); }

struct Cube {
    long operator()(long x) const { return x * x * x; }
};

namespace {

bool was_client = false;
std::string report_path;  // argv[2]: Options::report

int fail(const std::string& why) {
    std::printf("trace wrong: %s\n", why.c_str());
    return 1;
}

int farm(taskfarm::Client& client) {
    was_client = true;
    std::vector<taskfarm::Future<long>> futures;
    for (long i = 0; i < 5; ++i) futures.push_back(client.submit(square, i));
    for (long i = 0; i < 3; ++i) futures.push_back(client.submit([](long x) { return x + 100; }, i));
    for (long i = 0; i < 2; ++i) futures.push_back(client.submit(Cube{}, i));
    futures.push_back(client.submit(square, 7L, taskfarm::TaskOptions{.name = "named step"}));
    std::vector<long> many(20'000);  // chunked from 10 000 elements on, under a farm
    for (std::size_t i = 0; i < many.size(); ++i) many[i] = long(i);
    auto mapped = client.map(square, many);  // in chunks of elements
    auto a = client.submit(increment, 1L);
    auto b = client.submit(increment, a);  // an arrow from a to b
    auto bad = client.submit(flaky, 1L, taskfarm::TaskOptions{.retries = 1});
    long sum = 0;
    for (auto& f : futures) sum += f.get();
    for (auto& f : mapped) sum += f.get();
    sum += b.get();
    try {
        bad.get();
        return fail("the flaky task did not fail");
    } catch (const taskfarm::TaskError&) {
    }
    if (!report_path.empty()) {  // rewritten while the farm runs (the tests set TASKFARM_REPORT_INTERVAL=0.3)
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        bool seen = false;
        while (!seen && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            std::ifstream in(report_path);
            std::string page((std::istreambuf_iterator<char>(in)), {});
            seen = page.find("\"final\":false") != std::string::npos && page.find("</html>") != std::string::npos;
        }
        if (!seen) return fail("the report was not written while the farm ran");
    }
    std::printf("client done, sum %ld\n", sum);
    return 0;
}

// Checks what the trace must show for the tasks above.
int check(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail("no file at " + path);
    nlohmann::json trace;
    try {
        trace = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        return fail(std::string("not JSON: ") + e.what());
    }
    std::map<std::string, int> runs;  // function name -> task runs (chunks left out)
    std::map<std::pair<int, int>, std::string> thread_names;
    // Each slice's start and end in ns, read as Perfetto reads them: ts and dur each rounded
    // from µs to ns (a slice that begins where another ends must not overlap it by a rounding).
    std::map<std::pair<int, int>, std::vector<std::pair<long long, long long>>> tracks;
    auto ns = [](const nlohmann::json& micros) { return std::llround(micros.get<double>() * 1000.0); };
    std::set<long> flow_starts, flow_ends;
    int fetched = 0, released = 0, waited = 0;
    int failed_runs = 0, counters = 0, chunks = 0;
    for (const auto& event : trace.at("traceEvents")) {
        auto phase = event.at("ph").get<std::string>();
        if (phase == "M" && event.at("name") == "thread_name")
            thread_names[{event.at("pid").get<int>(), event.at("tid").get<int>()}] = event.at("args").at("name");
        if (phase == "C" && event.at("name") == "tasks") ++counters;
        if (phase == "s") flow_starts.insert(event.at("id").get<long>());
        if (phase == "f") flow_ends.insert(event.at("id").get<long>());
        if (phase == "b" && event.at("name") == "result fetched" && event.at("pid") == 1 &&
            event.at("args").at("bytes").get<long>() > 1024)
            ++fetched;
        if (phase == "i" && event.at("name") == "released" && event.at("pid") == 1) ++released;
        if (phase != "X" || event.value("cat", "") != "task") continue;
        if (event.at("args").contains("waited_us") &&
            event.at("args").at("waited_us").get<double>() >= event.at("args").at("queued_us").get<double>())
            ++waited;
        auto name = event.at("name").get<std::string>();
        tracks[{event.at("pid").get<int>(), event.at("tid").get<int>()}].push_back(
            {ns(event.at("ts")), ns(event.at("ts")) + ns(event.at("dur"))});
        if (name.rfind("map chunk of ", 0) == 0) {
            ++chunks;
            continue;
        }
        ++runs[name];
        if (event.at("args").at("outcome") != "ok") ++failed_runs;
    }
    auto count = [&](const std::string& part) {
        int n = 0;
        for (const auto& [name, k] : runs)
            if (name.find(part) != std::string::npos) n += k;
        return n;
    };
    int total = 0;
    for (const auto& [name, k] : runs) total += k;
    std::string names;
    for (const auto& [name, k] : runs) names += " [" + name + "]x" + std::to_string(k);
    if (count("square") != 20005) return fail("square ran 20005 times (5 tasks, 20000 map elements), the trace says " + std::to_string(count("square")) + ":" + names);
    if (count("lambda") != 3) return fail("the lambda ran 3 times, the trace says " + std::to_string(count("lambda")) + ":" + names);
    if (count("Cube") != 2) return fail("Cube ran twice:" + names);
    if (count("named step") != 1) return fail("TaskOptions::name: one \"named step\":" + names);
    if (count("increment") != 2) return fail("increment ran twice:" + names);
    if (count("flaky") != 2 || failed_runs != 2) return fail("flaky ran and failed twice (retries 1):" + names);
    if (total != 20015) return fail("20015 task runs, the trace has " + std::to_string(total) + ":" + names);
    for (const auto& [track, slices] : tracks) {
        if (!thread_names.count(track)) return fail("a track without a thread name");
        if (thread_names[track].find("rank " + std::to_string(track.first) + " host ") != 0)
            return fail("thread name \"" + thread_names[track] + "\"");
        auto sorted = slices;
        std::sort(sorted.begin(), sorted.end(), [](auto& x, auto& y) { return x.first < y.first || (x.first == y.first && x.second > y.second); });
        std::vector<long long> open;  // ends of the slices that contain the current one
        for (const auto& [start, end] : sorted) {
            while (!open.empty() && open.back() <= start) open.pop_back();
            if (!open.empty() && end > open.back()) return fail("slices of " + thread_names[track] + " overlap without nesting");
            open.push_back(end);
        }
    }
    bool flowed = false;
    for (auto id : flow_starts) flowed = flowed || flow_ends.count(id) > 0;
    if (!flowed) return fail("no arrow from increment to the task that took its result");
    std::map<std::string, std::pair<long, long>> table;  // the per-function totals: runs, failures
    for (const auto& row : trace.at("otherData").at("functions"))
        table[row.at("name").get<std::string>()] = {row.at("runs").get<long>(), row.at("failures").get<long>()};
    if (table["square(long)"] != std::pair<long, long>{20005, 0}) return fail("the totals of square(long) are not 20005 runs");
    if (table["flaky(long)"] != std::pair<long, long>{2, 2}) return fail("the totals of flaky(long) are not 2 failed runs");
    bool farm_ran = trace.at("otherData").at("layout") != "inline";
    if (farm_ran && counters == 0) return fail("no counter track of a worker");
    if (farm_ran && chunks < 1) return fail("no map chunk slice");
    // The client's side: the chunks' results it fetched, the Futures it let go, and each run's
    // wait since its submit (which includes its wait on the worker).
    if (farm_ran && fetched < 2) return fail("the chunks' results were not fetched: " + std::to_string(fetched));
    if (farm_ran && released < 11) return fail("the Futures let go are not released: " + std::to_string(released));
    if (waited < 20015) return fail("runs without their wait since submit: " + std::to_string(20015 - waited));
    std::printf("trace ok: %d task runs on %zu tracks, %d map chunks, %zu arrows, %d counter samples, %d results "
                "fetched, %d released\n",
                total, tracks.size(), chunks, flow_starts.size(), counters, fetched, released);
    return 0;
}

}  // namespace

// The report (Options::report): one page, no requests, the data whole, the error as text.
int check_report(const std::string& path) {
    std::ifstream in(path);
    std::string page((std::istreambuf_iterator<char>(in)), {});
    if (page.empty()) return fail("no report at " + path);
    if (page.find("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'") == std::string::npos)
        return fail("the report does not forbid requests");
    for (const char* outside : {"src=\"http", "href=\"http", "src=\"//", "@import", "url("})
        if (page.find(outside) != std::string::npos) return fail(std::string("the report refers outside: ") + outside);
    if (page.find("<script>alert") != std::string::npos) return fail("an error message went into the page as markup");
    const std::string open = "<script type=\"application/json\" id=\"data\">";
    auto begin = page.find(open), end = page.find("</script>", begin);
    if (begin == std::string::npos || end == std::string::npos) return fail("no data block in the report");
    auto data = nlohmann::json::parse(page.substr(begin + open.size(), end - begin - open.size()));
    auto marks = data.at("marks").at("lane").size();
    if (marks != 20015) return fail("the report draws " + std::to_string(marks) + " runs, not 20015");
    if (data.at("summary").at("tasks") != 20014) return fail("the report's summary does not count 20014 tasks");
    if (data.at("failures").size() != 1 ||
        data.at("failures")[0].at("message").get<std::string>().find("<script>alert(1)</script>") == std::string::npos)
        return fail("the report does not list the flaky failure with its message");
    std::printf("report ok: %zu marks, 1 failure\n", marks);
    return 0;
}

int main(int argc, char** argv) {
    taskfarm::Options options;
    if (argc > 1) options.trace = argv[1];
    options.inline_result_limit = 1024;  // the map's chunks (156 elements, 2.6 kB of results) are fetched
    if (argc > 2 && std::string(argv[2]).rfind("--", 0) != 0) options.report = report_path = argv[2];
    int status = taskfarm::run(argc, argv, farm, options);
    if (status != 0 || !was_client) return status;
    if (int wrong = check(argv[1])) return wrong;
    return report_path.empty() ? 0 : check_report(report_path);
}
