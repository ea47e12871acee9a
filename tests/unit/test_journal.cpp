#include "journal.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace taskfarm::detail {
namespace {

constexpr std::uint64_t program = 0xfeed;

class JournalTest : public ::testing::Test {
protected:
    std::string path = (std::filesystem::temp_directory_path() /
                        ("taskfarm_journal_test_" + std::to_string(getpid()) + "_" +
                         ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                           .string();
    void TearDown() override { std::filesystem::remove(path); }
};

TaskSpec spec(std::string args) {
    TaskSpec spec;
    spec.invoker = 7;
    spec.args = Bytes(args.begin(), args.end());
    return spec;
}

Bytes bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void overwrite(const std::string& path, std::string_view text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

void flip_byte(const std::string& path, std::size_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(std::streamoff(offset));
    char byte = 0;
    file.get(byte);
    file.seekp(std::streamoff(offset));
    file.put(static_cast<char>(byte ^ 0x10));
}

// The message of the JournalError that opening path throws, or "" if it opens.
std::string refusal(const std::string& path) {
    try {
        Journal journal(path, program);
    } catch (const JournalError& e) {
        return e.what();
    }
    return "";
}

bool mentions(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string own_host() {
    char name[256] = "";
    ::gethostname(name, sizeof name - 1);
    return name;
}

// A journal of three finished tasks, a, b and c; where b's record starts, and its result.
struct ThreeRecords {
    std::size_t b_head;
    std::size_t b_result;
};
ThreeRecords write_three(const std::string& path) {
    {
        Journal journal(path, program);
        journal.record_finished(key_of(spec("a")), bytes("result of a"));
        journal.record_finished(key_of(spec("b")), bytes("result of b"));
        journal.record_finished(key_of(spec("c")), bytes("result of c"));
    }
    auto result = contents(path).find("result of b");
    return {result - 1 - 16 - record_head_size, result};  // the head, then kind and key
}

TEST_F(JournalTest, AFinishedTaskIsFoundByTheNextRun) {
    {
        Journal journal(path, program);
        journal.record_started(key_of(spec("a")));
        journal.record_finished(key_of(spec("a")), bytes("result of a"));
    }
    Journal again(path, program);
    ASSERT_NE(again.result(key_of(spec("a"))), nullptr);
    EXPECT_EQ(*again.result(key_of(spec("a"))), bytes("result of a"));
    EXPECT_EQ(again.result(key_of(spec("b"))), nullptr);
    EXPECT_EQ(again.damaged_records(), 0u);
    EXPECT_TRUE(again.warnings().empty());
}

TEST_F(JournalTest, TheKeyCoversFunctionArgumentsAndChunkSize) {
    auto a = spec("a");
    auto other_function = a;
    other_function.offset = 1;
    auto chunk = a;
    chunk.elements = 10;
    auto retried = a;
    retried.attempt = 3;
    EXPECT_NE(key_of(a), key_of(spec("b")));
    EXPECT_NE(key_of(a), key_of(other_function));
    EXPECT_NE(key_of(a), key_of(chunk));
    EXPECT_EQ(key_of(a), key_of(retried)) << "attempts are not part of what a task is";
}

TEST_F(JournalTest, ATornLastRecordIsIgnoredAndCutOff) {
    {
        Journal journal(path, program);
        journal.record_finished(key_of(spec("a")), bytes("kept"));
        journal.record_finished(key_of(spec("b")), bytes("torn"));
    }
    auto whole = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, whole - 2);  // the kill came while b's record was written
    {
        Journal again(path, program);
        EXPECT_NE(again.result(key_of(spec("a"))), nullptr);
        EXPECT_EQ(again.result(key_of(spec("b"))), nullptr);
        EXPECT_EQ(again.damaged_records(), 1u);
        ASSERT_EQ(again.warnings().size(), 1u);
        auto torn = record_head_size + 1 + 16 + 4 - 2;
        EXPECT_EQ(again.warnings()[0], "journal " + path + ": the last record was cut short (" + std::to_string(torn) +
                                           " bytes, probably a run killed while writing it) and is removed");
        again.record_finished(key_of(spec("c")), bytes("after the repair"));
    }
    Journal third(path, program);
    EXPECT_NE(third.result(key_of(spec("a"))), nullptr);
    EXPECT_NE(third.result(key_of(spec("c"))), nullptr);
}

TEST_F(JournalTest, ADamagedLastRecordIsDroppedAndSaidSo) {
    {
        Journal journal(path, program);
        journal.record_finished(key_of(spec("a")), bytes("result"));
    }
    {
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(-1, std::ios::end);
        file.put('X');  // the last byte of a's result
    }
    Journal again(path, program);
    EXPECT_EQ(again.result(key_of(spec("a"))), nullptr);
    EXPECT_EQ(again.damaged_records(), 1u);
    ASSERT_EQ(again.warnings().size(), 1u);
    EXPECT_TRUE(mentions(again.warnings()[0], "after the last valid record are damaged")) << again.warnings()[0];
}

TEST_F(JournalTest, ADamagedRecordInTheMiddleIsSkippedAndTheOthersAreKept) {
    auto three = write_three(path);
    flip_byte(path, three.b_result + 3);
    auto size = std::filesystem::file_size(path);
    {
        Journal again(path, program);
        EXPECT_NE(again.result(key_of(spec("a"))), nullptr);
        EXPECT_EQ(again.result(key_of(spec("b"))), nullptr);
        ASSERT_NE(again.result(key_of(spec("c"))), nullptr);
        EXPECT_EQ(*again.result(key_of(spec("c"))), bytes("result of c"));
        EXPECT_EQ(again.damaged_records(), 1u);
        ASSERT_EQ(again.warnings().size(), 1u);
        auto b_size = record_head_size + 1 + 16 + std::string_view("result of b").size();
        EXPECT_EQ(again.warnings()[0], "journal " + path + ": 1 damaged record skipped (" + std::to_string(b_size) +
                                           " bytes); the other records are kept");
        EXPECT_GE(std::filesystem::file_size(path), size) << "nothing after the damage may be cut off";
        again.record_finished(key_of(spec("d")), bytes("after the damage"));
    }
    Journal third(path, program);
    EXPECT_NE(third.result(key_of(spec("a"))), nullptr);
    EXPECT_NE(third.result(key_of(spec("c"))), nullptr);
    EXPECT_NE(third.result(key_of(spec("d"))), nullptr);
    EXPECT_EQ(third.damaged_records(), 1u) << "the damage stays in the file, and is said again";
}

TEST_F(JournalTest, AfterADamagedHeadTheNextRecordIsFound) {
    for (std::size_t field : {0, 5, 13, 21}) {  // the marker, the size, the body's checksum, the head's
        std::filesystem::remove(path);
        auto three = write_three(path);
        flip_byte(path, three.b_head + field);
        Journal again(path, program);
        EXPECT_NE(again.result(key_of(spec("a"))), nullptr) << "byte " << field;
        EXPECT_EQ(again.result(key_of(spec("b"))), nullptr) << "byte " << field;
        EXPECT_NE(again.result(key_of(spec("c"))), nullptr) << "byte " << field;
        EXPECT_EQ(again.damaged_records(), 1u) << "byte " << field;
        ASSERT_EQ(again.warnings().size(), 1u);
        EXPECT_TRUE(mentions(again.warnings()[0], "1 damaged record skipped")) << again.warnings()[0];
    }
}

TEST_F(JournalTest, GarbageAfterTheLastRecordIsCutOffAndSaidSo) {
    write_three(path);
    auto size = std::filesystem::file_size(path);
    std::ofstream(path, std::ios::binary | std::ios::app) << "not a record, appended by something else";
    {
        Journal again(path, program);
        EXPECT_NE(again.result(key_of(spec("a"))), nullptr);
        EXPECT_NE(again.result(key_of(spec("b"))), nullptr);
        EXPECT_NE(again.result(key_of(spec("c"))), nullptr);
        EXPECT_EQ(again.damaged_records(), 1u);
        ASSERT_EQ(again.warnings().size(), 1u);
        EXPECT_EQ(again.warnings()[0], "journal " + path +
                                           ": 40 bytes after the last valid record are damaged or not a record, "
                                           "and are removed");
        EXPECT_GT(std::filesystem::file_size(path), size) << "its own run record follows";
    }
    Journal third(path, program);
    EXPECT_TRUE(third.warnings().empty());
    EXPECT_NE(third.result(key_of(spec("c"))), nullptr);
}

TEST_F(JournalTest, AnOlderJournalIsRefusedAndLeftAsItIs) {
    std::string older = std::string("taskfarm journal 1\n") + std::string(8, '\1') + "records";
    overwrite(path, older);
    auto message = refusal(path);
    EXPECT_TRUE(mentions(message, path + " was written by an older taskfarm (journal format 1")) << message;
    EXPECT_EQ(contents(path), older);
}
TEST_F(JournalTest, AJournalOfAnotherProgramIsRefused) {
    { Journal journal(path, program); }
    try {
        Journal other(path, program + 1);
        FAIL() << "a journal of another program was accepted";
    } catch (const JournalError& e) {
        EXPECT_NE(std::string(e.what()).find("written by a different program"), std::string::npos) << e.what();
    }
}

TEST_F(JournalTest, AFileThatIsNotAJournalIsRefused) {
    std::ofstream(path) << "precious data that must not be overwritten\n";
    auto message = refusal(path);
    EXPECT_EQ(message, path + " is not a taskfarm journal; remove it or choose another journal file");
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(first, "precious data that must not be overwritten");
}

TEST_F(JournalTest, TheFileIsPrivate) {
    { Journal journal(path, program); }
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(JournalTest, APathThatIsNotARegularFileIsRefused) {
    std::filesystem::create_directory(path);
    EXPECT_EQ(refusal(path), path + " is a directory, not a regular file; the journal must be a file");
    std::filesystem::remove(path);

    // A FIFO would block an open for reading; the check comes first, so this returns.
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    EXPECT_TRUE(mentions(refusal(path), path + " is a FIFO (named pipe), not a regular file")) << refusal(path);
    std::filesystem::remove(path);

    // /dev/zero reads without end and /dev/full takes no writes.
    for (std::string device : {"/dev/zero", "/dev/full", "/dev/null"})
        EXPECT_TRUE(mentions(refusal(device), device + " is a character device, not a regular file")) << refusal(device);
}

TEST_F(JournalTest, AMissingDirectoryIsNamed) {
    auto in_missing = path + "/no/such/run.journal";
    EXPECT_EQ(refusal(in_missing),
              "cannot create the journal " + in_missing + ": its directory " + path + "/no/such does not exist");
}

TEST_F(JournalTest, AReadOnlyDirectoryIsRefused) {
    std::filesystem::create_directory(path);
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                                           std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
    auto inside = path + "/run.journal";
    // Root writes anywhere: try as user nobody, in a child process.
    int pipe_ends[2];
    ASSERT_EQ(::pipe(pipe_ends), 0);
    auto child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipe_ends[0]);
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
        auto message = refusal(inside);
        auto unused = ::write(pipe_ends[1], message.data(), message.size());
        (void)unused;
        ::_exit(0);
    }
    ::close(pipe_ends[1]);
    std::string message;
    char buffer[512];
    for (ssize_t got; (got = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0;) message.append(buffer, std::size_t(got));
    ::close(pipe_ends[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    std::filesystem::remove_all(path);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(mentions(message, "cannot open the journal " + inside + ": Permission denied")) << message;
}

TEST_F(JournalTest, ASecondRunIsRefusedWhileTheFirstHoldsTheJournal) {
    {
        Journal first(path, program);
        first.record_finished(key_of(spec("a")), bytes("result of a"));
        auto message = refusal(path);
        EXPECT_TRUE(mentions(message, path + " is in use by another run (pid " + std::to_string(::getpid()) +
                                          " on host " + own_host() + ", started "))
            << message;
        EXPECT_TRUE(mentions(message, "); wait for it to end or choose another journal file")) << message;
        first.record_finished(key_of(spec("b")), bytes("the refused run wrote nothing in between"));
    }
    Journal after(path, program);
    EXPECT_NE(after.result(key_of(spec("a"))), nullptr);
    EXPECT_NE(after.result(key_of(spec("b"))), nullptr);
    EXPECT_TRUE(after.warnings().empty());
}

TEST_F(JournalTest, ATaskRunningWhenTwoRunsInARowEndedIsPoison) {
    auto key = key_of(spec("hangs"));
    { Journal(path, program).record_started(key); }
    EXPECT_FALSE(Journal(path, program).poisoned(key)) << "one run is not enough";
    // The second Journal above was a run in which the task did not start: no streak.
    { Journal(path, program).record_started(key); }
    { Journal(path, program).record_started(key); }
    EXPECT_TRUE(Journal(path, program).poisoned(key));
}

TEST_F(JournalTest, ATaskThatFinishesIsNotPoison) {
    auto key = key_of(spec("slow"));
    { Journal(path, program).record_started(key); }
    {
        Journal journal(path, program);
        journal.record_started(key);
        journal.record_finished(key, bytes("done"));
    }
    Journal third(path, program);
    EXPECT_FALSE(third.poisoned(key));
    EXPECT_NE(third.result(key), nullptr);
}

TEST(JournalFraming, AHeadCarriesASizeOver4GiB) {
    RecordHead head{5ull << 30, 0x0123456789abcdefull};
    auto encoded = encode_record_head(head);
    EXPECT_EQ(decode_record_head(encoded), head);
    for (std::size_t at = 0; at < encoded.size(); ++at) {
        auto damaged = encoded;
        damaged[at] = static_cast<char>(damaged[at] ^ 1);
        EXPECT_FALSE(decode_record_head(damaged)) << "a flipped bit in byte " << at << " went unseen";
    }
    EXPECT_FALSE(decode_record_head(std::span<const char>(encoded).first(record_head_size - 1)));
}

TEST(JournalFraming, TheChecksumSeesEveryFlippedByte) {
    // Past the four 8-byte lanes and into the bytes after them.
    for (std::size_t size : {0, 1, 31, 32, 33, 100}) {
        Bytes data(size, 'x');
        auto whole = journal_checksum(data);
        for (std::size_t at = 0; at < size; ++at) {
            auto damaged = data;
            damaged[at] = 'y';
            EXPECT_NE(journal_checksum(damaged), whole) << size << " bytes, byte " << at;
        }
        EXPECT_NE(journal_checksum(Bytes(size + 1, 'x')), whole) << "the length counts";
    }
}

// A record of 4 GiB and more, written and read back; label "memory" (about 4 GiB of its
// own, and as much of the page cache).
class JournalBigRecord : public JournalTest {};

constexpr std::size_t big_size = (std::size_t(1) << 32) + 16;

// The result's 8-byte word at offset: distinct words at each MiB and around 4 GiB, so that
// a size or an offset that wrapped at 2^32 would show, and zeros elsewhere, which cost no
// memory before they are read (the kernel maps its zero page).
std::uint64_t word_at(std::size_t offset) {
    bool marked = offset % (1 << 20) == 0 || offset + 24 >= big_size;
    return marked ? offset * 0x9e3779b97f4a7c15ull + 1 : 0;
}

TEST_F(JournalBigRecord, ARecordOver4GiBRoundTrips) {
    auto key = key_of(spec("big"));
    using clock = std::chrono::steady_clock;
    auto started = clock::now();
    clock::time_point appended;
    {
        void* mapped = ::mmap(nullptr, big_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        ASSERT_NE(mapped, MAP_FAILED);
        std::span<char> result(static_cast<char*>(mapped), big_size);
        for (std::size_t offset = 0; offset < big_size; offset += 8)
            if (auto word = word_at(offset)) std::memcpy(result.data() + offset, &word, 8);
        {
            Journal journal(path, program);
            journal.record_finished(key, result);
            appended = clock::now();
        }  // and fsync
        ::munmap(mapped, big_size);
    }
    auto closed = clock::now();
    EXPECT_GT(std::filesystem::file_size(path), big_size);
    Journal again(path, program);
    auto read = clock::now();
    EXPECT_TRUE(again.warnings().empty());
    auto* back = again.result(key);
    ASSERT_NE(back, nullptr);
    ASSERT_EQ(back->size(), big_size);
    std::size_t wrong = 0;
    for (std::size_t offset = 0; offset < big_size; offset += 8) {
        std::uint64_t word;
        std::memcpy(&word, back->data() + offset, 8);
        wrong += word != word_at(offset);
    }
    EXPECT_EQ(wrong, 0u);
    auto seconds = [](clock::time_point from, clock::time_point to) {
        return std::chrono::duration<double>(to - from).count();
    };
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    std::printf("4 GiB + 16 bytes: appended in %.1f s, synced and closed in %.1f s, read back in %.1f s; "
                "peak memory %.1f GiB\n",
                seconds(started, appended), seconds(appended, closed), seconds(closed, read),
                double(usage.ru_maxrss) / (1 << 20));
}

}  // namespace
}  // namespace taskfarm::detail
