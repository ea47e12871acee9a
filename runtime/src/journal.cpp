#include "journal.hpp"

#include "hash.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace taskfarm::detail {
namespace {

constexpr std::string_view magic = "taskfarm journal 1\n";
constexpr std::size_t record_head = sizeof(std::uint32_t) + sizeof(std::uint64_t);
constexpr std::size_t key_size = 2 * sizeof(std::uint64_t);

std::uint64_t checksum(std::span<const char> body) { return fnv1a(std::string_view(body.data(), body.size())); }

template <class T>
T load(const char* at) {
    T value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

template <class T>
void store(Bytes& out, const T& value) {
    auto bytes = reinterpret_cast<const char*>(&value);
    out.insert(out.end(), bytes, bytes + sizeof value);
}

std::string system_error(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

TaskKey key_of(const TaskSpec& spec) {
    // Two FNV-1a hashes from different starting points: 128 bits, so that millions of
    // tasks do not collide.
    auto hash = [&](std::uint64_t seed) {
        seed = fnv1a_of(spec.invoker, seed);
        seed = fnv1a_of(spec.module, seed);
        seed = fnv1a_of(spec.offset, seed);
        seed = fnv1a_of(spec.elements, seed);
        return fnv1a(std::string_view(spec.args.data(), spec.args.size()), seed);
    };
    return {hash(fnv1a_seed), hash(0x9e3779b97f4a7c15ull)};
}

Journal::Journal(const std::string& path, std::uint64_t program) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw JournalError(system_error("cannot open the journal", path));
    try {
        read_existing(program);
    } catch (...) {
        ::close(fd_);
        throw;
    }
    append(Record::run, {});
}

Journal::~Journal() {
    if (fd_ >= 0) {
        ::fsync(fd_);
        ::close(fd_);
    }
}

void Journal::read_existing(std::uint64_t program) {
    Bytes file;
    char buffer[1 << 16];
    for (;;) {
        auto got = ::read(fd_, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw JournalError(system_error("cannot read the journal", path_));
        if (got == 0) break;
        file.insert(file.end(), buffer, buffer + got);
    }
    Bytes header(magic.begin(), magic.end());
    store(header, program);
    if (file.size() < header.size()) {
        // New, or torn while its header was written: start it afresh.
        if (!file.empty() && !std::equal(file.begin(), file.end(), header.begin()))
            throw JournalError(path_ + " is not a taskfarm journal; remove it or choose another journal file");
        if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, header.data(), header.size(), 0) != ssize_t(header.size()))
            throw JournalError(system_error("cannot write the journal", path_));
        ::lseek(fd_, 0, SEEK_END);
        return;
    }
    if (!std::equal(magic.begin(), magic.end(), file.begin()))
        throw JournalError(path_ + " is not a taskfarm journal; remove it or choose another journal file");
    if (load<std::uint64_t>(file.data() + magic.size()) != program)
        throw JournalError(path_ + " was written by a different program (or another build of it); its results "
                                   "cannot be trusted here. Remove it, or choose another journal file");

    std::size_t at = header.size();
    while (file.size() - at >= record_head) {
        auto size = load<std::uint32_t>(file.data() + at);
        auto sum = load<std::uint64_t>(file.data() + at + sizeof size);
        if (size < 1 + key_size || file.size() - at - record_head < size) break;
        std::span<const char> body(file.data() + at + record_head, size);
        if (checksum(body) != sum) break;
        auto kind = static_cast<Record>(body[0]);
        TaskKey key{load<std::uint64_t>(body.data() + 1), load<std::uint64_t>(body.data() + 1 + 8)};
        if (kind == Record::run) {
            ++previous_runs_;
        } else if (kind == Record::started) {
            auto [it, fresh] = unfinished_.try_emplace(key, Unfinished{previous_runs_, 1});
            if (!fresh && it->second.last_run != previous_runs_) {
                it->second.runs = it->second.last_run + 1 == previous_runs_ ? it->second.runs + 1 : 1;
                it->second.last_run = previous_runs_;
            }
        } else if (kind == Record::finished) {
            unfinished_.erase(key);
            auto result = body.subspan(1 + key_size);
            finished_[key] = Bytes(result.begin(), result.end());
        } else {
            break;
        }
        at += record_head + size;
    }
    // Whatever follows the last whole record was torn by a kill: cut it off.
    if (at != file.size() && ::ftruncate(fd_, off_t(at)) != 0)
        throw JournalError(system_error("cannot repair the journal", path_));
    ::lseek(fd_, off_t(at), SEEK_SET);
}

const Bytes* Journal::result(const TaskKey& key) const {
    auto it = finished_.find(key);
    return it == finished_.end() ? nullptr : &it->second;
}

bool Journal::poisoned(const TaskKey& key) const {
    auto it = unfinished_.find(key);
    return it != unfinished_.end() && it->second.runs >= 2 && it->second.last_run == previous_runs_;
}

void Journal::record_started(const TaskKey& key) { append(Record::started, key); }

void Journal::record_finished(const TaskKey& key, std::span<const char> result) {
    append(Record::finished, key, result);
}

void Journal::append(Record kind, const TaskKey& key, std::span<const char> result) {
    Bytes record;
    record.reserve(record_head + 1 + key_size + result.size());
    store(record, std::uint32_t(1 + key_size + result.size()));
    store(record, std::uint64_t(0));  // the checksum, filled in below
    record.push_back(static_cast<char>(kind));
    store(record, key.high);
    store(record, key.low);
    record.insert(record.end(), result.begin(), result.end());
    auto sum = checksum(std::span<const char>(record).subspan(record_head));
    std::memcpy(record.data() + sizeof(std::uint32_t), &sum, sizeof sum);
    const char* data = record.data();
    std::size_t left = record.size();
    while (left > 0) {
        auto written = ::write(fd_, data, left);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw JournalError(system_error("cannot write the journal", path_));
        data += written;
        left -= std::size_t(written);
    }
}

}  // namespace taskfarm::detail
