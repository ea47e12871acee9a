#include "startup.hpp"

#include <taskfarm/client.hpp>
#include <taskfarm/error.hpp>

#include <gtest/gtest.h>

namespace taskfarm::detail {
namespace {

StartupReport healthy(std::string journal = "(none)") {
    StartupReport report;
    report.fingerprint = 0xabc;
    report.host = "node1";
    report.program = "/home/ada/bin/analysis";
    report.settings = {{"retries", "0"}, {"journal", std::move(journal)}};
    return report;
}

std::vector<StartupReport> farm(int ranks) { return std::vector<StartupReport>(std::size_t(ranks), healthy()); }

TEST(Startup, AReportSurvivesTheTrip) {
    auto report = healthy("/scratch/run 1.journal");
    report.status = 5;
    report.failure = "journal: cannot open: 12:34";
    report.program = "/scratch/v2:old/my analysis";  // a colon and a space inside a field
    EXPECT_EQ(decode_report(encode_report(report)).program, report.program);
    EXPECT_EQ(decode_report(encode_report(report)), report);
    EXPECT_THROW(decode_report(encode_report(report) + "x"), std::invalid_argument);
    EXPECT_THROW(decode_report("3:12"), std::invalid_argument);
    EXPECT_THROW(decode_report("z:1"), std::invalid_argument);
}

TEST(Startup, HealthyRanksStart) {
    EXPECT_EQ(agree_on_startup(farm(4), "p").status, 0);
    EXPECT_EQ(agree_on_startup(farm(1), "p").status, 0);
}

TEST(Startup, TwoRanksAreTooFew) {
    auto verdict = agree_on_startup(farm(2), "./analysis");
    EXPECT_EQ(verdict.status, status_too_few_ranks);
    ASSERT_EQ(verdict.lines.size(), 1u);
    EXPECT_EQ(verdict.lines[0].rank, 0);
    EXPECT_NE(verdict.lines[0].text.find("mpirun -np 4 ./analysis"), std::string::npos);
}

TEST(Startup, DifferentProgramsAreRefusedNamingBoth) {
    auto reports = farm(4);
    reports[3].fingerprint = 0xdef;
    reports[3].program = "/home/ada/bin/other";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_mismatched_programs);
    ASSERT_EQ(verdict.lines.size(), 1u);
    EXPECT_EQ(verdict.lines[0].rank, 0);
    EXPECT_NE(verdict.lines[0].text.find("ranks run different programs: rank 0 runs /home/ada/bin/analysis "
                                         "(fingerprint 0000000000000abc) and rank 3 runs /home/ada/bin/other "
                                         "(fingerprint 0000000000000def)."),
              std::string::npos)
        << verdict.lines[0].text;
}

TEST(Startup, OnePathWithTwoBuildsIsSaidToBeTheSamePathButDifferentBuilds) {
    auto reports = farm(4);
    reports[2].fingerprint = 0xdef;
    reports[2].host = "node2";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_mismatched_programs);
    ASSERT_EQ(verdict.lines.size(), 1u);
    EXPECT_NE(verdict.lines[0].text.find("rank 0 on node1 and rank 2 on node2 both run /home/ada/bin/analysis, the "
                                         "same path but different builds (fingerprint 0000000000000abc and "
                                         "0000000000000def)"),
              std::string::npos)
        << verdict.lines[0].text;
}

TEST(Startup, AFailureOnOneRankEndsEveryRankAndItSaysWhy) {
    auto reports = farm(4);
    reports[1].status = status_bad_journal;
    reports[1].failure = "journal: cannot open the journal /x: No such file or directory";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_bad_journal);
    ASSERT_EQ(verdict.lines.size(), 1u);
    EXPECT_EQ(verdict.lines[0].rank, 1);  // the client's own line names it
    EXPECT_EQ(verdict.lines[0].text, reports[1].failure);
}

TEST(Startup, TheSameFailureOnSeveralRanksIsSaidOnce) {
    auto reports = farm(4);
    for (int rank : {0, 1, 3}) {
        reports[std::size_t(rank)].status = status_bad_configuration;
        reports[std::size_t(rank)].failure = "bad configuration: TASKFARM_RETRIES must be ...";
    }
    reports[2].status = 1;
    reports[2].failure = "start-up failed: std::bad_alloc";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_bad_configuration);  // the first failing rank's
    ASSERT_EQ(verdict.lines.size(), 2u);
    EXPECT_EQ(verdict.lines[0].rank, 0);
    EXPECT_NE(verdict.lines[0].text.find("(the same on ranks 0-1, 3)"), std::string::npos);
    EXPECT_EQ(verdict.lines[1].rank, 2);
}

TEST(Startup, OptionsThatDifferBetweenRanksAreNamed) {
    std::vector<StartupReport> reports{healthy("/j"), healthy("/j"), healthy(), healthy()};
    reports[3].settings[0].second = "2";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_bad_configuration);
    ASSERT_EQ(verdict.lines.size(), 1u);
    const auto& text = verdict.lines[0].text;
    EXPECT_NE(text.find("retries is '0' on ranks 0-2 and '2' on rank 3"), std::string::npos) << text;
    EXPECT_NE(text.find("journal is '(none)' on ranks 2-3 and '/j' on ranks 0-1"), std::string::npos) << text;
}

TEST(Startup, WorkersMayHaveResourcesOfTheirOwn) {
    auto reports = farm(4);
    for (auto& report : reports) report.settings.emplace_back("worker_resources", "(none)");
    reports[3].settings.back().second = "gpu=1";  // a job script gave one node a GPU
    EXPECT_EQ(agree_on_startup(reports, "p").status, 0);
}

TEST(Startup, OptionsThatDifferExplainWhatFailedBecauseOfThem) {
    std::vector<StartupReport> reports{healthy("/j"), healthy("/j"), healthy(), healthy()};
    reports[1].status = status_bad_journal;  // opened on the client, which was given one
    reports[1].failure = "journal: /j was written by a different program";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_bad_configuration);
    ASSERT_EQ(verdict.lines.size(), 1u);
    EXPECT_NE(verdict.lines[0].text.find("options differ between ranks"), std::string::npos);
}

TEST(Startup, ARankThatCouldNotReadItsOptionsIsNotComparedButSaid) {
    auto reports = farm(3);
    reports[2].settings.clear();
    reports[2].status = status_bad_configuration;
    reports[2].failure = "bad configuration: TASKFARM_RETRIES must be ...";
    auto verdict = agree_on_startup(reports, "p");
    EXPECT_EQ(verdict.status, status_bad_configuration);
    ASSERT_EQ(verdict.lines.size(), 1u);
    EXPECT_EQ(verdict.lines[0].rank, 2);
    EXPECT_EQ(verdict.lines[0].text, reports[2].failure);
}

TEST(Startup, WithoutAFarmThereIsNoCurrentClient) {
    try {
        taskfarm::current_client();
        FAIL() << "current_client() returned without a farm";
    } catch (const taskfarm::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("no farm client in this process"), std::string::npos) << e.what();
    }
}

TEST(Startup, RanksAreListedAsRanges) {
    EXPECT_EQ(describe_ranks({4}), "rank 4");
    EXPECT_EQ(describe_ranks({0, 1}), "ranks 0-1");
    EXPECT_EQ(describe_ranks({0, 2, 5, 6, 7}), "ranks 0, 2, 5-7");
}

}  // namespace
}  // namespace taskfarm::detail
