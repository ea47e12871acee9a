// Writes the checked-in corpus of fuzz_wire: one sealed frame per message kind, and one
// frame with every kind and an attachment.   make_seeds <directory>
#include "wire.hpp"

#include <fstream>
#include <string>

using namespace taskfarm::detail;

namespace {
taskfarm::Bytes bytes(std::string text) { return taskfarm::Bytes(text.begin(), text.end()); }

void write(const std::string& path, std::vector<Message> messages) {
    Frame frame;
    for (auto& message : messages) encode(std::move(message), frame);
    seal(frame);
    std::ofstream(path, std::ios::binary).write(frame.head.data(), std::streamsize(frame.head.size()));
}
}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : ".";
    TaskSpec spec{42, 0x1234, 0x99, 0x5678, 2, 1, 1000, 0, bytes("args")};
    std::vector<Message> every{Submit{spec},
                               Run{spec},
                               Finished{7, Outcome::value, bytes("result")},
                               Finished{9, Outcome::error, encode_failure({"std::runtime_error", "boom", 3, "node7", 2})},
                               Done{7, true, 1234},
                               Fetch{8},
                               Fetched{8, bytes("fetched")},
                               Release{8},
                               Shutdown{3},
                               Stop{-1},
                               Retry{spec},
                               Started{42},
                               Drain{}};
    for (std::size_t i = 0; i < every.size(); ++i) write(dir + "/message_" + std::to_string(i + 1), {every[i]});
    write(dir + "/all_kinds", every);
    auto failure = encode_failure({"std::invalid_argument", "negative", 5, "node12", 1});
    std::ofstream(dir + "/failure", std::ios::binary).write(failure.data(), std::streamsize(failure.size()));
}
