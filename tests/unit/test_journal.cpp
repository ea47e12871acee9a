#include "journal.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
        again.record_finished(key_of(spec("c")), bytes("after the repair"));
    }
    Journal third(path, program);
    EXPECT_NE(third.result(key_of(spec("a"))), nullptr);
    EXPECT_NE(third.result(key_of(spec("c"))), nullptr);
}

TEST_F(JournalTest, ACorruptRecordEndsWhatIsTrusted) {
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
    EXPECT_THROW(Journal(path, program), JournalError);
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

}  // namespace
}  // namespace taskfarm::detail
