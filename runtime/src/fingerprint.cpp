#include "fingerprint.hpp"

#include "hash.hpp"

#include <taskfarm/detail/registry.hpp>

#include <elf.h>
#include <link.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace taskfarm::detail {
namespace {

// The first object dl_iterate_phdr reports is the main program.
int read_build_id(dl_phdr_info* info, size_t, void* data) {
    auto& id = *static_cast<std::string*>(data);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_NOTE) continue;
        auto* note = reinterpret_cast<const char*>(info->dlpi_addr + segment.p_vaddr);
        auto* end = note + segment.p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= end) {
            auto* header = reinterpret_cast<const ElfW(Nhdr)*>(note);
            auto* name = note + sizeof(ElfW(Nhdr));
            auto* desc = name + ((header->n_namesz + 3) & ~3u);
            if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                id.assign(desc, header->n_descsz);
                return 1;
            }
            note = desc + ((header->n_descsz + 3) & ~3u);
        }
    }
    return 1;
}

std::string program_identity() {
    std::string id;
    dl_iterate_phdr(read_build_id, &id);
    if (!id.empty()) return id;
    std::ifstream file("/proc/self/exe", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

}  // namespace

std::uint64_t program_fingerprint() {
    auto identity = program_identity();
    auto registry = registry_fingerprint();
    return fnv1a_of(registry, fnv1a(identity));
}

}  // namespace taskfarm::detail
