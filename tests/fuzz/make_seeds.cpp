// Writes the checked-in corpus of fuzz_wire: one sealed frame per message kind, and one
// frame with every kind and an attachment.   make_seeds <directory>
#include "every_message.hpp"
#include "wire.hpp"

#include <fstream>
#include <string>

using namespace taskfarm::detail;

namespace {
void write(const std::string& path, std::vector<Message> messages) {
    Frame frame;
    for (auto& message : messages) encode(std::move(message), frame);
    seal(frame);
    std::ofstream(path, std::ios::binary).write(frame.head.data(), std::streamsize(frame.head.size()));
}
}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : ".";
    auto every = samples::every_message();
    for (std::size_t i = 0; i < every.size(); ++i) write(dir + "/message_" + std::to_string(i + 1), {every[i]});
    write(dir + "/all_kinds", every);
    auto failure = encode_failure({"std::invalid_argument", "negative", 5, "node12", 1, taskfarm::TaskError::Cause::exception});
    std::ofstream(dir + "/failure", std::ios::binary).write(failure.data(), std::streamsize(failure.size()));
}
