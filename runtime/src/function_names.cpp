#include "function_names.hpp"

#include <cxxabi.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace taskfarm::detail {

std::string demangled(const char* mangled) {
    if (mangled == nullptr) return {};
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                    std::free);
    return status == 0 && readable ? std::string(readable.get()) : std::string(mangled);
}

namespace {

// ---- Reading an ELF file: every offset and size comes from the file and is checked. ----

class ElfFile {
public:
    explicit ElfFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        struct stat status {};
        if (fd_ >= 0 && ::fstat(fd_, &status) == 0 && S_ISREG(status.st_mode))
            size_ = static_cast<std::uint64_t>(status.st_size);
    }
    ~ElfFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    std::uint64_t size() const { return size_; }

    // Reads [offset, offset + length) whole, or returns false (past the end, an I/O error).
    bool read(std::uint64_t offset, std::uint64_t length, void* into) const {
        if (offset > size_ || length > size_ - offset) return false;
        auto* bytes = static_cast<char*>(into);
        while (length > 0) {
            auto got = ::pread(fd_, bytes, length, static_cast<off_t>(offset));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return false;
            auto count = static_cast<std::uint64_t>(got);
            bytes += count;
            offset += count;
            length -= count;
        }
        return true;
    }

private:
    int fd_ = -1;
    std::uint64_t size_ = 0;  // 0 when the file cannot be read: every read fails
};

std::vector<Elf64_Shdr> section_headers(const ElfFile& file) {
    Elf64_Ehdr header{};
    if (!file.read(0, sizeof header, &header)) return {};
    constexpr unsigned char native_order = std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
    if (std::string_view(reinterpret_cast<const char*>(header.e_ident), SELFMAG) != ELFMAG ||
        header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != native_order ||
        header.e_shoff == 0 || header.e_shentsize != sizeof(Elf64_Shdr))
        return {};
    std::uint64_t count = header.e_shnum;
    if (count == 0) {  // 65280 sections or more: the count is in section 0's sh_size
        Elf64_Shdr first{};
        if (!file.read(header.e_shoff, sizeof first, &first)) return {};
        count = first.sh_size;
    }
    if (count > file.size() / sizeof(Elf64_Shdr)) return {};
    std::vector<Elf64_Shdr> sections(count);
    if (!file.read(header.e_shoff, count * sizeof(Elf64_Shdr), sections.data())) return {};
    return sections;
}

// ---- A module's function symbols, sorted by address. ----

struct FunctionSymbol {
    std::uint64_t start = 0;  // st_value: relative to the module's load bias
    std::uint64_t size = 0;
    std::uint32_t name = 0;   // offset in SymbolTable::names
    std::uint8_t rank = 0;    // among aliases of one address, lower is the better name
};

class SymbolTable {
public:
    void load(const ElfFile& file, const std::vector<Elf64_Shdr>& sections, std::uint32_t type);

    const char* name_containing(std::uint64_t address) const {
        auto after = std::upper_bound(functions_.begin(), functions_.end(), address,
                                      [](std::uint64_t a, const FunctionSymbol& s) { return a < s.start; });
        if (after == functions_.begin()) return nullptr;
        // Aliases share a start (C++ constructors' C1/C2, libc's _IO_printf and printf); they
        // are sorted by rank, so the first that covers the address is the most public name.
        auto first_alias = std::lower_bound(functions_.begin(), after, std::prev(after)->start,
                                            [](const FunctionSymbol& s, std::uint64_t a) { return s.start < a; });
        for (auto it = first_alias; it != after; ++it)
            if (address - it->start < it->size) return names_.data() + it->name;
        return nullptr;
    }

private:
    std::vector<FunctionSymbol> functions_;
    std::string names_;  // the functions' names only, each ended by '\0'
};

// A name without a leading underscore first: libc exports printf beside _IO_printf, and
// many public names (read) only as weak aliases of global __names (__read). C++ names all
// start with "_Z". Then global before weak before local.
std::uint8_t alias_rank(unsigned char binding, std::string_view name) {
    bool reserved_looking = name.starts_with('_') && !name.starts_with("_Z");
    auto by_binding = binding == STB_GLOBAL ? 0 : binding == STB_WEAK ? 1 : 2;
    return static_cast<std::uint8_t>((reserved_looking ? 3 : 0) + by_binding);
}

void SymbolTable::load(const ElfFile& file, const std::vector<Elf64_Shdr>& sections, std::uint32_t type) {
    auto table = std::find_if(sections.begin(), sections.end(), [&](const Elf64_Shdr& s) { return s.sh_type == type; });
    if (table == sections.end() || table->sh_entsize != sizeof(Elf64_Sym) || table->sh_link >= sections.size()) return;
    const auto& strings_header = sections[table->sh_link];
    if (strings_header.sh_type != SHT_STRTAB || strings_header.sh_size > file.size()) return;

    // Sizes are checked against the file's before anything is allocated.
    if (table->sh_size > file.size()) return;
    std::vector<Elf64_Sym> symbols(table->sh_size / sizeof(Elf64_Sym));
    std::string strings(strings_header.sh_size, '\0');
    if (!file.read(table->sh_offset, symbols.size() * sizeof(Elf64_Sym), symbols.data()) ||
        !file.read(strings_header.sh_offset, strings.size(), strings.data()))
        return;

    for (const auto& symbol : symbols) {
        if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_shndx == SHN_UNDEF || symbol.st_size == 0 ||
            symbol.st_name >= strings.size())
            continue;
        auto tail = std::string_view(strings).substr(symbol.st_name);
        auto name = tail.substr(0, tail.find('\0'));  // a name the table does not end stops at its end
        if (name.empty() || names_.size() > UINT32_MAX - name.size() - 1) continue;
        functions_.push_back({symbol.st_value, symbol.st_size, static_cast<std::uint32_t>(names_.size()),
                              alias_rank(ELF64_ST_BIND(symbol.st_info), name)});
        names_.append(name).push_back('\0');
    }
    std::sort(functions_.begin(), functions_.end(), [](const FunctionSymbol& a, const FunctionSymbol& b) {
        return a.start != b.start ? a.start < b.start : a.rank < b.rank;
    });
}

// .symtab has every function, static ones included, but strip removes it; .dynsym stays
// in a stripped shared library and has what it exports.
struct ModuleSymbols {
    SymbolTable symtab;
    SymbolTable dynsym;

    const char* name_containing(std::uint64_t address) const {
        const char* name = symtab.name_containing(address);
        return name != nullptr ? name : dynsym.name_containing(address);
    }
};

ModuleSymbols load_module(const std::string& module_name) {
    // The executable has no name of its own in the link map; /proc/self/exe is the file it
    // was started from, even if that has been replaced or deleted since.
    ElfFile file(module_name.empty() ? std::string("/proc/self/exe") : module_name);
    auto sections = section_headers(file);
    ModuleSymbols module;
    module.symtab.load(file, sections, SHT_SYMTAB);
    module.dynsym.load(file, sections, SHT_DYNSYM);
    return module;  // empty for a file that cannot be read (the vDSO has none): not tried again
}

// ---- Which module holds an address. ----

struct ModuleAt {
    std::uintptr_t address = 0;
    std::string name;          // dlpi_name: "" for the executable
    std::uintptr_t bias = 0;   // dlpi_addr: st_value + bias is the address in memory (0 for non-PIE)
    bool found = false;
};

int find_module(dl_phdr_info* info, size_t, void* data) {
    auto& query = *static_cast<ModuleAt*>(data);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X)) continue;
        auto begin = info->dlpi_addr + segment.p_vaddr;
        if (query.address < begin || query.address - begin >= segment.p_memsz) continue;
        query.name = info->dlpi_name ? info->dlpi_name : "";
        query.bias = info->dlpi_addr;
        query.found = true;
        return 1;
    }
    return 0;
}

// Each module's symbols, read on first use. Never destroyed: worker threads may still run
// tasks while exit() destroys the statics (see invokers() in registry.cpp).
struct SymbolCache {
    std::mutex mutex;
    std::map<std::string, ModuleSymbols> modules;  // by dlpi_name
};

SymbolCache& symbol_cache() {
    static auto& cache = *new SymbolCache();
    return cache;
}

}  // namespace

std::string function_name_at(const void* code) {
    ModuleAt module;
    module.address = reinterpret_cast<std::uintptr_t>(code);
    dl_iterate_phdr(find_module, &module);
    if (!module.found) return {};

    std::string symbol;
    {
        auto& cache = symbol_cache();
        std::lock_guard lock(cache.mutex);  // held while a module loads: each is read once
        auto it = cache.modules.find(module.name);
        if (it == cache.modules.end()) it = cache.modules.emplace(module.name, load_module(module.name)).first;
        const char* name = it->second.name_containing(module.address - module.bias);
        if (name == nullptr) return {};
        symbol = name;
    }
    // Only C++ symbols are demangled: __cxa_demangle also reads type codes, and would turn a
    // C function named "f" into "float".
    return symbol.starts_with("_Z") ? demangled(symbol.c_str()) : symbol;
}

}  // namespace taskfarm::detail
