#pragma once
// Readable names for the task trace (docs/observability.md): a type's name, and the name of
// the function whose code holds an address, for a program linked the usual way (no
// -rdynamic, so dladdr alone would not know the executable's own functions).
//
// function_name_at reads the symbol tables of the module's file (the executable through
// /proc/self/exe, or the shared library) once per module. ELF64 in the host's byte order
// only; anything else, a stripped file or an unreadable one gives "".

#include <string>

namespace taskfarm::detail {

// The demangled form of a mangled name such as typeid(T).name() or "_Z3fooi"; the input
// itself when it cannot be demangled.
std::string demangled(const char* mangled);

// The demangled name of the function whose code contains code ("sample::scaled(double)"),
// or "" when no function symbol covers it. Thread-safe.
std::string function_name_at(const void* code);

}  // namespace taskfarm::detail
