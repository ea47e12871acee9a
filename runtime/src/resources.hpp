#pragma once
// Resources: what a worker has (Options::worker_resources, TASKFARM_WORKER_RESOURCES) and what
// a task asks for (TaskOptions::resources), and the one rule between them.

#include "wire.hpp"  // ResourceRequest

#include <map>
#include <string>
#include <string_view>

namespace taskfarm::detail {

using Resources = std::map<std::string, double>;

// A task's request as it travels: amounts of 0 left out. Throws UsageError for an amount
// that is negative, not a number or infinite, or an empty name.
ResourceRequest resource_request(const Resources& asked);
// Whether `have` holds at least every amount of `request` (a name it lacks counts as 0).
bool covers(const Resources& have, const ResourceRequest& request);
// "gpu=1,ssd=0.5", and "(none)" when empty.
std::string resources_text(const Resources& resources);
std::string resources_text(const ResourceRequest& request);
// "gpu=1,ssd=1" (the variable's form) read back; "" and "(none)" are none. Throws
// std::invalid_argument saying what is wrong.
Resources parse_resources(std::string_view text);
// The failure of a task that asks for more than any worker has: it would wait for ever.
Bytes unsatisfiable_failure(const ResourceRequest& request, int rank, const std::string& host);

}  // namespace taskfarm::detail
