#include <taskfarm/error.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace taskfarm {
namespace detail {

std::string readable_type_name(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                    std::free);
    return status == 0 && readable ? readable.get() : type.name();
}

}  // namespace detail

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
                     int attempts, Cause cause)
    : std::runtime_error(describe(type_name, message, rank, host, task, attempts)),
      type_name_(std::move(type_name)),
      message_(std::move(message)),
      rank_(rank),
      host_(std::move(host)),
      task_(task),
      attempts_(attempts),
      cause_(cause) {}

const char* to_string(TaskError::Cause cause) noexcept {
    using Cause = TaskError::Cause;
    switch (cause) {
        case Cause::exception: return "exception";
        case Cause::crash: return "crash";
        case Cause::timeout: return "timeout";
        case Cause::poisoned: return "poisoned";
        case Cause::worker_lost: return "worker_lost";
        case Cause::dependency: return "dependency";
        case Cause::undecodable: return "undecodable";
    }
    return "unknown";
}

}  // namespace taskfarm
