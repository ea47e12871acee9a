#pragma once
// What every rank must agree on before a farm starts: the same program, the same tasks.

#include <cstdint>

namespace taskfarm::detail {

// A hash of the main program's GNU build-id (or, without one, of its file) and of the
// task registry. Two ranks with equal fingerprints can run each other's tasks.
std::uint64_t program_fingerprint();

}  // namespace taskfarm::detail
