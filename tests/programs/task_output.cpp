// Options::task_output_dir: each task's own stdout and stderr in task-<id>.out/.err.
//   task_output check|check-isolated <output dir> <scratch dir>   (with the option set to the
//       same output dir) runs tasks that print in every way a task can, tasks that print
//       nothing, a retried task, a chunked map, and (check-isolated) tasks that crash; then
//       compares the directory with what each task printed and prints "task output works".
//   task_output crash   a task writes to stderr and crashes its (non-isolated) worker.
//   task_output uncaptured   without the option: the client prints a line (left in stdio's
//       buffer), then tasks print theirs; with isolate each must appear once.
// Every line a task prints contains "task-print", so that task_output_test.sh can check that
// none reaches the job's own output.
#include <taskfarm/taskfarm.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <ranges>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

namespace fs = std::filesystem;

// Prints to both descriptors every way a task can: write(2), std::cerr, fprintf(stderr),
// printf, std::cout. Stdout last and no flush: the runtime must flush after the task (std::cerr
// would flush std::cout, and with it stdio's stdout).
int say(int i) {
    auto line = "task-print " + std::to_string(i);
    auto raw = line + " write(1)\n";
    if (::write(STDOUT_FILENO, raw.data(), raw.size()) < 0) throw std::runtime_error("write failed");
    std::cerr << line << " cerr\n";
    std::fprintf(stderr, "%s fprintf\n", line.c_str());
    std::printf("%s printf\n", line.c_str());
    std::cout << line << " cout\n";
    return i;
}
std::string said_out(int i) {
    auto line = "task-print " + std::to_string(i);
    return line + " write(1)\n" + line + " printf\n" + line + " cout\n";
}
std::string said_err(int i) {
    auto line = "task-print " + std::to_string(i);
    return line + " cerr\n" + line + " fprintf\n";
}

int quiet(int i) { return 2 * i; }

int from_child(int) {
    return std::system("echo task-print from a child process; echo task-print from a child process on stderr >&2");
}

// Prints, then fails on its first run (the marker file says which run this is).
int print_and_fail_once(std::string marker) {
    bool first = !fs::exists(marker);
    int attempt = first ? 1 : 2;
    std::cerr << "task-print attempt " << attempt << " on stderr\n";
    std::printf("task-print attempt %d on stdout\n", attempt);
    if (first) {
        std::ofstream(marker).put('1');
        throw std::runtime_error("the first attempt fails");
    }
    return attempt;
}

// An element of a chunked map: a few elements print; element 5001 fails its first run.
struct Element {
    std::string scratch;
    template <class Archive>
    void serialize(Archive& archive) {
        archive(scratch);
    }
    int operator()(int i) const {
        if (i % 2500 != 1) return i;
        auto marker = scratch + "/element-" + std::to_string(i);
        int attempt = fs::exists(marker) ? 2 : 1;
        std::cerr << "task-print element " << i << " attempt " << attempt << " on stderr\n";
        std::printf("task-print element %d attempt %d\n", i, attempt);
        if (i == 5001 && attempt == 1) {
            std::ofstream(marker).put('1');
            throw std::runtime_error("the element's first attempt fails");
        }
        return i;
    }
};
std::string element_out(int i, int attempt) {
    return "task-print element " + std::to_string(i) + " attempt " + std::to_string(attempt) + "\n";
}
std::string element_err(int i, int attempt) {
    return "task-print element " + std::to_string(i) + " attempt " + std::to_string(attempt) + " on stderr\n";
}

int print_line(int i) {
    std::printf("task-print uncaptured %d\n", i);
    return i;
}

int crash_quietly(int) {
    std::raise(SIGSEGV);
    return 0;
}
int crash_loudly(int) {
    std::cerr << "task-print before the crash\n";
    std::raise(SIGSEGV);
    return 0;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The files the directory must hold, by name, with their contents.
using Expected = std::map<std::string, std::string>;

void expect_task(Expected& expected, std::uint64_t id, const std::string& out, const std::string& err) {
    auto stem = "task-" + std::to_string(id);
    if (!out.empty()) expected[stem + ".out"] = out;
    if (!err.empty()) expected[stem + ".err"] = err;
}

int compare(const fs::path& directory, const Expected& expected) {
    int wrong = 0;
    std::map<std::string, std::string> found;
    for (const auto& entry : fs::directory_iterator(directory))
        found[entry.path().filename().string()] = read_file(entry.path());
    for (const auto& [name, text] : found) {
        auto it = expected.find(name);
        if (it == expected.end()) {
            std::printf("FAILED: unexpected file %s holding '%s'\n", name.c_str(), text.c_str());
            ++wrong;
        } else if (it->second != text) {
            std::printf("FAILED: %s holds '%s', not '%s'\n", name.c_str(), text.c_str(), it->second.c_str());
            ++wrong;
        }
    }
    for (const auto& [name, text] : expected) {
        if (!found.contains(name)) {
            std::printf("FAILED: no file %s (it should hold '%s')\n", name.c_str(), text.c_str());
            ++wrong;
        }
    }
    return wrong;
}

int check(taskfarm::Client& client, const fs::path& directory, const std::string& scratch, bool isolated) {
    // The client's own output, still buffered when the first task runs (inline, on this
    // process), must not end up in that task's file.
    std::printf("client says hello\n");
    Expected expected;

    for (int i = 0; i < 4; ++i) {
        auto future = client.submit(say, i);
        expect_task(expected, future.id(), said_out(i), said_err(i));
        if (future.get() != i) throw std::logic_error("say returned the wrong value");
    }
    std::vector<taskfarm::Future<int>> silent;
    for (int i = 0; i < 20; ++i) silent.push_back(client.submit(quiet, i));
    client.gather(silent);

    auto child = client.submit(from_child, 0);
    expect_task(expected, child.id(), "task-print from a child process\n", "task-print from a child process on stderr\n");
    if (child.get() != 0) throw std::logic_error("the child process failed");

    auto retried = client.submit(taskfarm::TaskOptions{.retries = 1}, print_and_fail_once, scratch + "/plain");
    expect_task(expected, retried.id(), "task-print attempt 1 on stdout\ntask-print attempt 2 on stdout\n",
                "task-print attempt 1 on stderr\ntask-print attempt 2 on stderr\n");
    if (retried.get() != 2) throw std::logic_error("the retried task did not run twice");

    // 10000 elements: chunked on a farm, one task each inline.
    auto elements = client.map(taskfarm::TaskOptions{.retries = 1}, Element{scratch}, std::views::iota(0, 10000));
    for (int i = 1; i < 10000; i += 2500) {
        auto out = element_out(i, 1);
        auto err = element_err(i, 1);
        if (i == 5001) {
            out += element_out(i, 2);
            err += element_err(i, 2);
        }
        expect_task(expected, elements[std::size_t(i)].id(), out, err);
    }
    auto results = client.gather(elements);
    if (results.size() != 10000 || results[5001] != 5001) throw std::logic_error("the map's results are wrong");

    if (isolated) {
        // A child that dies cannot tidy up; its worker removes what it left empty.
        auto quietly = client.submit(crash_quietly, 0);
        auto loudly = client.submit(crash_loudly, 0);
        expect_task(expected, loudly.id(), "", "task-print before the crash\n");
        for (auto* future : {&quietly, &loudly}) {
            try {
                future->get();
                throw std::logic_error("a crashing task did not fail");
            } catch (const taskfarm::TaskError&) {
            }
        }
    }

    int wrong = compare(directory, expected);
    if (wrong > 0) return 1;
    std::printf("task output works: %zu files as expected\n", expected.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return taskfarm::run(argc, argv, [&](taskfarm::Client& client) {
        std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "crash") {
            client.submit(crash_loudly, 0).get();
            return 1;
        }
        if (mode == "uncaptured") {
            std::printf("client before the tasks\n");
            client.gather(client.map(print_line, std::views::iota(1, 4)));
            return 0;
        }
        if ((mode != "check" && mode != "check-isolated") || argc != 4) {
            std::fprintf(stderr, "usage: task_output check|check-isolated <output dir> <scratch dir> | crash | uncaptured\n");
            return 2;
        }
        return check(client, argv[2], argv[3], mode == "check-isolated");
    });
}
