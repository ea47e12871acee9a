#include "resources.hpp"

#include "failure.hpp"

#include <taskfarm/error.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace taskfarm::detail {
namespace {

// The shortest text that reads back as the same double: amounts travel as text in the
// start-up reports, and 7654321 must not come back as 7.65432e+06.
std::string amount_text(double amount) {
    char text[64];
    auto [end, error] = std::to_chars(text, text + sizeof text, amount);
    return error == std::errc() ? std::string(text, end) : "?";
}

template <class Pairs>
std::string text_of(const Pairs& pairs) {
    std::string text;
    for (const auto& [name, amount] : pairs) text += (text.empty() ? "" : ",") + name + "=" + amount_text(amount);
    return text.empty() ? "(none)" : text;
}

}  // namespace

ResourceRequest resource_request(const Resources& asked) {
    ResourceRequest request;
    for (const auto& [name, amount] : asked) {
        if (name.empty() || !(amount >= 0) || !std::isfinite(amount))
            throw UsageError("taskfarm: TaskOptions::resources must name each resource and ask for an amount of 0 or "
                             "more, not '" + name + "' = " + amount_text(amount));
        if (amount > 0) request.emplace_back(name, amount);  // a map is already in name order
    }
    return request;
}

bool covers(const Resources& have, const ResourceRequest& request) {
    constexpr double slack = 1e-9;  // 1 - 0.1 - 0.2 - 0.7 is not quite 0 in doubles
    for (const auto& [name, amount] : request) {
        auto it = have.find(name);
        if (it == have.end() || it->second + slack < amount) return false;
    }
    return true;
}

std::string resources_text(const Resources& resources) { return text_of(resources); }
std::string resources_text(const ResourceRequest& request) { return text_of(request); }

Resources parse_resources(std::string_view text) {
    Resources resources;
    if (text.empty() || text == "(none)") return resources;
    std::size_t at = 0;
    while (at <= text.size()) {
        auto comma = text.find(',', at);
        auto item = text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        auto equals = item.find('=');
        std::string name(item.substr(0, equals));
        std::string value(equals == std::string_view::npos ? "" : item.substr(equals + 1));
        char* end = nullptr;
        double amount = value.empty() ? -1 : std::strtod(value.c_str(), &end);
        if (name.empty() || value.empty() || *end != '\0' || !(amount >= 0) || !std::isfinite(amount))
            throw std::invalid_argument("must be name=amount pairs separated by commas (gpu=1,ssd=1), each amount 0 or "
                                        "more, not '" + std::string(text) + "'");
        if (!resources.emplace(name, amount).second)
            throw std::invalid_argument("names " + name + " twice in '" + std::string(text) + "'");
        if (comma == std::string_view::npos) break;
        at = comma + 1;
    }
    return resources;
}

Bytes unsatisfiable_failure(const ResourceRequest& request, int rank, const std::string& host) {
    return encode_failure({"taskfarm::UsageError",
                           "it asks for " + resources_text(request) +
                               ", more than any worker of the farm has (Options::worker_resources, "
                               "TASKFARM_WORKER_RESOURCES), so it would never run",
                           rank, host, 1, TaskError::Cause::exception});
}

}  // namespace taskfarm::detail
