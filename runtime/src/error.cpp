#include <taskfarm/error.hpp>

namespace taskfarm {
namespace {

std::string describe(const std::string& type_name, const std::string& message, int rank, const std::string& host,
                     std::uint64_t task, int attempts) {
    std::string text = "task " + std::to_string(task) + " failed on rank " + std::to_string(rank);
    if (!host.empty()) text += " (" + host + ")";
    text += " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    return text + ": " + type_name + ": " + message;
}

}  // namespace

TaskError::TaskError(std::string type_name, std::string message, int rank, std::string host, std::uint64_t task,
                     int attempts)
    : std::runtime_error(describe(type_name, message, rank, host, task, attempts)),
      type_name_(std::move(type_name)),
      message_(std::move(message)),
      rank_(rank),
      host_(std::move(host)),
      task_(task),
      attempts_(attempts) {}

}  // namespace taskfarm
