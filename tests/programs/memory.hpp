#pragma once
// Reads this process's memory figures from /proc/self/status, in KiB.

#include <fstream>
#include <string>

namespace test {

inline long status_kib(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}
inline long resident_kib() { return status_kib("VmRSS"); }
inline long peak_resident_kib() { return status_kib("VmHWM"); }

}  // namespace test
