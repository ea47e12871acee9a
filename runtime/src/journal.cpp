#include "journal.hpp"

#include "hash.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string_view>

namespace taskfarm::detail {
namespace {

constexpr std::string_view magic_stem = "taskfarm journal ";
constexpr std::string_view magic = "taskfarm journal 2\n";
constexpr std::size_t header_size = magic.size() + sizeof(std::uint64_t);
// Starts every record head; a byte that is rare in text and small numbers comes first.
constexpr std::array<char, 4> marker = {'\xa7', 'T', 'F', 'R'};
constexpr std::size_t key_size = 2 * sizeof(std::uint64_t);
constexpr std::size_t body_start = 1 + key_size;  // kind and key, before the payload
// A run record's payload is one short line; a body bigger than this is not one.
constexpr std::uint64_t run_record_limit = 4096;

template <class T>
T load(const char* at) {
    T value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

std::string system_error(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

// One 8-byte word into one lane of the checksum: xxHash64's round.
std::uint64_t mix(std::uint64_t lane, std::uint64_t word) {
    return std::rotl(lane + word * 0xc2b2ae3d27d4eb4full, 31) * 0x9e3779b185ebca87ull;
}

// Four lanes of 8-byte words, then the lanes, the length and the last bytes folded in with
// FNV-1a. The lanes' multiplications overlap: about ten times the speed of byte-wise FNV-1a
// (which took 5 s each way for a 4 GiB result). It finds damage; it is not for security.
std::uint64_t checksum(std::span<const char> bytes, std::uint64_t seed) {
    std::uint64_t lanes[4] = {seed, seed + 1, seed + 2, seed + 3};
    std::size_t at = 0;
    for (; bytes.size() - at >= sizeof lanes; at += sizeof lanes)
        for (std::size_t i = 0; i < 4; ++i) lanes[i] = mix(lanes[i], load<std::uint64_t>(bytes.data() + at + 8 * i));
    auto hash = fnv1a_of(std::uint64_t(bytes.size()), fnv1a_of(lanes, seed));
    return fnv1a(std::string_view(bytes.data() + at, bytes.size() - at), hash);
}

// The body's checksum covers its kind and key, then its payload.
std::uint64_t body_checksum(std::span<const char> body) {
    auto start = std::min(body.size(), body_start);
    return journal_checksum(body.first(start), body.subspan(start));
}

// Where the next valid record head at or after `from` begins, or the file's end.
std::uint64_t find_head(std::span<const char> file, std::uint64_t from) {
    while (from < file.size()) {
        auto found = static_cast<const char*>(
            ::memmem(file.data() + from, file.size() - from, marker.data(), marker.size()));
        if (!found) break;
        from = std::uint64_t(found - file.data());
        if (decode_record_head(file.subspan(from))) return from;
        ++from;
    }
    return file.size();
}

// Writes every byte of pieces, however many writev calls that takes (Linux writes at most
// 2 GiB at a time). False, with errno set, on an error.
bool write_all(int fd, std::span<iovec> pieces) {
    for (;;) {
        while (!pieces.empty() && pieces.front().iov_len == 0) pieces = pieces.subspan(1);
        if (pieces.empty()) return true;
        auto written = ::writev(fd, pieces.data(), int(pieces.size()));
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            if (written == 0) errno = EIO;
            return false;
        }
        for (auto done = std::size_t(written); done > 0;) {
            auto step = std::min(done, pieces.front().iov_len);
            pieces.front().iov_base = static_cast<char*>(pieces.front().iov_base) + step;
            pieces.front().iov_len -= step;
            done -= step;
            if (pieces.front().iov_len == 0) pieces = pieces.subspan(1);
        }
    }
}

// The file, read-only, while it is read: its bytes live once, in the page cache. Only the
// holder of the lock maps it, so no other run cuts it short under the mapping.
class MappedFile {
public:
    MappedFile(int fd, std::uint64_t size, const std::string& path) : size_(size) {
        if (size == 0) return;
        data_ = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data_ == MAP_FAILED) throw JournalError(system_error("cannot read the journal", path));
        ::madvise(data_, size, MADV_SEQUENTIAL);
    }
    ~MappedFile() {
        if (size_ > 0) ::munmap(data_, size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    std::span<const char> bytes() const { return {static_cast<const char*>(data_), size_}; }

private:
    void* data_ = nullptr;
    std::size_t size_;
};

// Reads a journal that another run holds, and may be appending to or, as it starts, cutting
// short: with pread, since a mapped page that is cut off would be a SIGBUS.
class FileWindow {
public:
    explicit FileWindow(int fd) : fd_(fd) {}
    // The bytes [at, at + size), or an empty span when the file ends before them.
    std::span<const char> get(std::uint64_t at, std::size_t size) {
        if (at < start_ || at + size > start_ + bytes_.size()) {
            bytes_.resize(std::max<std::size_t>(size, 1 << 20));
            auto got = ::pread(fd_, bytes_.data(), bytes_.size(), off_t(at));
            bytes_.resize(got > 0 ? std::size_t(got) : 0);
            start_ = at;
        }
        if (at + size > start_ + bytes_.size()) return {};
        return std::span<const char>(bytes_).subspan(at - start_, size);
    }

private:
    int fd_;
    std::uint64_t start_ = 0;
    Bytes bytes_;
};

std::string host() {
    char name[256] = "";
    ::gethostname(name, sizeof name - 1);
    return name;
}

// What the run record says: "pid 1234 on host vm, started 2026-12-01 21:30:00".
std::string this_run() {
    auto now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char started[32];
    std::strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S", &local);
    return "pid " + std::to_string(::getpid()) + " on host " + host() + ", started " + started;
}

// False when a run record names a process of this host that is gone: the run holding the
// journal has not written its own run record yet, so this one is an earlier run's.
bool may_still_run(const std::string& run) {
    int pid = 0;
    char on_host[256] = "";
    if (std::sscanf(run.c_str(), "pid %d on host %255[^,]", &pid, on_host) != 2) return true;
    return on_host != host() || ::kill(pid, 0) == 0 || errno != ESRCH;
}

const char* file_type(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

JournalError not_a_file(const std::string& path, mode_t mode) {
    return JournalError(path + " is " + file_type(mode) + ", not a regular file; the journal must be a file");
}

std::string open_error(const std::string& path) {
    int error = errno;
    auto directory = std::filesystem::path(path).parent_path();
    if (directory.empty()) directory = ".";
    std::error_code ignored;
    if (error == ENOENT && !std::filesystem::exists(directory, ignored))
        return "cannot create the journal " + path + ": its directory " + directory.string() + " does not exist";
    std::string text = "cannot open the journal " + path + ": " + std::strerror(error);
    if (error == EACCES || error == EPERM || error == EROFS)
        text += " (the journal must be a file this user can read and write, in a directory it can write to)";
    return text;
}

// Refuses what is not a journal of this program; the file is left as it is.
void check_header(std::span<const char> file, std::uint64_t program, const std::string& path) {
    auto starts_with = [&](std::string_view text) {
        return file.size() >= text.size() && std::equal(text.begin(), text.end(), file.begin());
    };
    if (!starts_with(magic_stem))
        throw JournalError(path + " is not a taskfarm journal; remove it or choose another journal file");
    if (!starts_with(magic)) {
        std::string version;
        for (auto c : file.subspan(magic_stem.size()))
            if (version.size() < 16 && std::isalnum(static_cast<unsigned char>(c))) version += c;
            else break;
        throw JournalError(path + " was written by " + (version == "1" ? "an older" : "another version of") +
                           " taskfarm (journal format " + version + "; this one reads format 2). Finish that work "
                           "with the taskfarm that wrote it, or remove it or choose another journal file");
    }
    if (file.size() < header_size || load<std::uint64_t>(file.data() + magic.size()) != program)
        throw JournalError(path + " was written by a different program (or another build of it); its results "
                                  "cannot be trusted here. Remove it, or choose another journal file");
}

std::string plural(std::size_t count, const std::string& noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

}  // namespace

std::uint64_t journal_checksum(std::span<const char> start, std::span<const char> rest) {
    return checksum(rest, checksum(start, fnv1a_seed));
}

std::array<char, record_head_size> encode_record_head(const RecordHead& head) {
    std::array<char, record_head_size> bytes;
    std::memcpy(bytes.data(), marker.data(), marker.size());
    std::memcpy(bytes.data() + 4, &head.body_size, 8);
    std::memcpy(bytes.data() + 12, &head.body_checksum, 8);
    auto sum = journal_checksum(std::span<const char>(bytes).first(20));
    std::memcpy(bytes.data() + 20, &sum, 8);
    return bytes;
}

std::optional<RecordHead> decode_record_head(std::span<const char> bytes) {
    if (bytes.size() < record_head_size || !std::equal(marker.begin(), marker.end(), bytes.begin())) return {};
    if (load<std::uint64_t>(bytes.data() + 20) != journal_checksum(bytes.first(20))) return {};
    return RecordHead{load<std::uint64_t>(bytes.data() + 4), load<std::uint64_t>(bytes.data() + 12)};
}

TaskKey key_of(const TaskSpec& spec, std::span<const TaskKey> inputs) {
    // Two FNV-1a hashes from different starting points: 128 bits, so that millions of
    // tasks do not collide.
    auto hash = [&](std::uint64_t seed) {
        seed = fnv1a_of(spec.invoker, seed);
        seed = fnv1a_of(spec.module, seed);
        seed = fnv1a_of(spec.offset, seed);
        seed = fnv1a_of(spec.elements, seed);
        for (const auto& input : inputs) seed = fnv1a_of(input.low, fnv1a_of(input.high, seed));
        return fnv1a(std::string_view(spec.args.data(), spec.args.size()), seed);
    };
    return {hash(fnv1a_seed), hash(0x9e3779b97f4a7c15ull)};
}

TaskKey element_key(const TaskKey& chunk, std::uint32_t index) {
    auto hash = [&](std::uint64_t seed) { return fnv1a_of(index, fnv1a_of(chunk.low, fnv1a_of(chunk.high, seed))); };
    return {hash(fnv1a_seed), hash(0x9e3779b97f4a7c15ull)};
}

Journal::Journal(const std::string& path, std::uint64_t program) : path_(path) {
    open_file();
    try {
        lock();
        read_existing(program);
        auto run = this_run();
        append(Record::run, {}, run);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

Journal::~Journal() {
    ::fsync(fd_);
    ::close(fd_);  // and with it the lock
}

void Journal::open_file() {
    // Look before opening, so that opening a device or a FIFO cannot block or act on it;
    // O_NONBLOCK and the check after opening cover a path changed in between.
    struct stat info {};
    if (::stat(path_.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) throw not_a_file(path_, info.st_mode);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    if (fd_ < 0) throw JournalError(open_error(path_));
    bool seen = ::fstat(fd_, &info) == 0;
    if (!seen || !S_ISREG(info.st_mode)) {
        auto error = seen ? not_a_file(path_, info.st_mode) : JournalError(system_error("cannot read the journal", path_));
        ::close(fd_);
        throw error;
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

void Journal::lock() {
    // An open-file-description lock: it belongs to this open file, not to the process, so
    // a second Journal in this process conflicts too, and closing fd_ releases it.
    struct flock whole {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, however long it grows
    if (::fcntl(fd_, F_OFD_SETLK, &whole) == 0) return;
    if (errno == EAGAIN || errno == EACCES) {
        auto run = holder();
        throw JournalError(path_ + " is in use by another run" +
                           (!run.empty() && may_still_run(run) ? " (" + run + ")" : "") +
                           "; wait for it to end or choose another journal file");
    }
    // Some shared file systems cannot lock (Lustre mounted without flock): run, and say so.
    warnings_.push_back("journal " + path_ + ": cannot be locked (" + std::strerror(errno) +
                        "), so nothing stops another run from using it at the same time");
}

std::string Journal::holder() const {
    // The last run record. Only heads are read, and bodies small enough to be a run record.
    FileWindow file(fd_);
    std::string last_run;
    std::uint64_t at = header_size;
    while (auto head = decode_record_head(file.get(at, record_head_size))) {
        if (head->body_size > body_start && head->body_size <= run_record_limit) {
            auto body = file.get(at + record_head_size, head->body_size);
            if (body.empty()) break;
            if (static_cast<Record>(body[0]) == Record::run && body_checksum(body) == head->body_checksum)
                last_run.assign(body.data() + body_start, body.size() - body_start);
        }
        at += record_head_size + head->body_size;
    }
    return last_run;
}

void Journal::read_existing(std::uint64_t program) {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) throw JournalError(system_error("cannot read the journal", path_));
    MappedFile mapped(fd_, std::uint64_t(info.st_size), path_);
    auto file = mapped.bytes();
    std::array<char, header_size> header;
    std::memcpy(header.data(), magic.data(), magic.size());
    std::memcpy(header.data() + magic.size(), &program, sizeof program);
    if (file.size() < header.size() && std::equal(file.begin(), file.end(), header.begin())) {
        // New, or torn while its header was written: start it afresh.
        if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, header.data(), header.size(), 0) != ssize_t(header.size()))
            throw JournalError(system_error("cannot write the journal", path_));
        size_ = header.size();
    } else {
        check_header(file, program, path_);
        size_ = read_records(file);
        // What follows the last valid record is torn or damaged: cut it off, so that new
        // records follow a whole one.
        if (size_ != file.size() && ::ftruncate(fd_, off_t(size_)) != 0)
            throw JournalError(system_error("cannot repair the journal", path_));
    }
    ::lseek(fd_, off_t(size_), SEEK_SET);
}

std::uint64_t Journal::read_records(std::span<const char> file) {
    std::vector<Damage> damage;
    std::uint64_t at = header_size;
    std::uint64_t end_of_records = at;
    while (at < file.size()) {
        auto head = decode_record_head(file.subspan(at));
        if (head && head->body_size <= file.size() - at - record_head_size) {
            // A sound head: its size is right even when its body is damaged.
            auto body = file.subspan(at + record_head_size, head->body_size);
            auto next = at + record_head_size + head->body_size;
            if (body_checksum(body) == head->body_checksum && take(body))
                end_of_records = next;
            else
                damage.push_back({at, next - at, false});
            at = next;
        } else {
            // A damaged head, bytes that are not a record, or a record the file ends inside:
            // go on at the next valid head, if there is one.
            auto next = find_head(file, at + 1);
            damage.push_back({at, next - at, head.has_value()});
            at = next;
        }
    }
    report(damage, end_of_records);
    return end_of_records;
}

bool Journal::take(std::span<const char> body) {
    if (body.size() < body_start) return false;
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
        auto result = body.subspan(body_start);
        finished_[key] = Bytes(result.begin(), result.end());
    } else {
        return false;
    }
    return true;
}

void Journal::report(const std::vector<Damage>& damage, std::uint64_t end_of_records) {
    damaged_records_ = damage.size();
    std::size_t skipped = 0;
    std::uint64_t skipped_bytes = 0;
    std::uint64_t tail_bytes = 0;
    for (const auto& stretch : damage) {
        if (stretch.offset < end_of_records) {
            ++skipped;
            skipped_bytes += stretch.size;
        } else {
            tail_bytes += stretch.size;
        }
    }
    auto journal = "journal " + path_ + ": ";
    if (skipped > 0)
        warnings_.push_back(journal + plural(skipped, "damaged record") + " skipped (" + plural(skipped_bytes, "byte") +
                            "); the other records are kept");
    if (tail_bytes == 0) return;
    if (damage.back().cut_short && damage.back().offset == end_of_records)
        warnings_.push_back(journal + "the last record was cut short (" + plural(tail_bytes, "byte") +
                            ", probably a run killed while writing it) and is removed");
    else
        warnings_.push_back(journal + plural(tail_bytes, "byte") +
                            " after the last valid record are damaged or not a record, and are removed");
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

void Journal::append(Record kind, const TaskKey& key, std::span<const char> payload) {
    std::array<char, body_start> start;
    start[0] = static_cast<char>(kind);
    std::memcpy(start.data() + 1, &key.high, 8);
    std::memcpy(start.data() + 1 + 8, &key.low, 8);
    auto head = encode_record_head({start.size() + payload.size(), journal_checksum(start, payload)});
    // Head, kind and key, and the payload where it is: one writev, no copy of the payload.
    iovec pieces[] = {{head.data(), head.size()},
                      {start.data(), start.size()},
                      {const_cast<char*>(payload.data()), payload.size()}};
    if (!write_all(fd_, pieces)) {
        auto error = system_error("cannot write the journal", path_);
        // Take back the part that was written: a later record must not follow a torn one.
        if (::ftruncate(fd_, off_t(size_)) == 0) ::lseek(fd_, off_t(size_), SEEK_SET);
        throw JournalError(error);
    }
    size_ += head.size() + start.size() + payload.size();
}

}  // namespace taskfarm::detail
