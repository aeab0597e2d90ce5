// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/child_process.hpp"
#include "jobsessions/runner/output_lines.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace jobsessions::runner {
namespace {

using Lines = std::vector<std::string>;

TEST(OutputLines, CompleteLinesComeOutAndAPartOneWaitsForItsNewline)
{
    OutputLines out;
    out.feed("first\nsec");
    EXPECT_EQ(out.take(false), Lines{"first"});
    EXPECT_EQ(out.pending(), 3U);
    out.feed("ond\r\n\nthi");
    EXPECT_EQ(out.take(false), (Lines{"second", ""}));
    EXPECT_EQ(out.take(false), Lines{});
    out.feed("rd");
    EXPECT_EQ(out.take(true), Lines{"third"}); // the end: the rest is a line of its own
    EXPECT_EQ(out.pending(), 0U);
    EXPECT_EQ(out.take(true), Lines{});
}

TEST(OutputLines, ALongLineIsSplitBetweenCharactersAndALineOfTheLongestLengthIsNot)
{
    constexpr auto kMax = OutputLines::kMaxLine;
    OutputLines out;
    out.feed(std::string(kMax, 'a'));
    EXPECT_EQ(out.take(false), Lines{}); // exactly the longest: it may still end here
    out.feed("\r\n");
    const auto whole = out.take(false);
    ASSERT_EQ(whole.size(), 1U);
    EXPECT_EQ(whole.front().size(), kMax);

    // A two-byte character straddling the cut goes whole into the next piece.
    out.feed(std::string(kMax - 1, 'b') + "\xC3\xA9" + "tail\n");
    const auto pieces = out.take(false);
    ASSERT_EQ(pieces.size(), 2U);
    EXPECT_EQ(pieces[0], std::string(kMax - 1, 'b'));
    EXPECT_EQ(pieces[1], "\xC3\xA9tail");
}

TEST(OutputLines, BytesThatAreNotUtf8AreRepaired)
{
    OutputLines out;
    out.feed("ok \xFF\xFE end\n");
    const auto lines = out.take(false);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_EQ(lines.front().substr(0, 3), "ok ");
    EXPECT_EQ(lines.front().substr(lines.front().size() - 4), " end");
    EXPECT_EQ(lines.front().find('\xFF'), std::string::npos);
}

TEST(ExitOutcome, ExitCodesAndSignalsSayHowTheRunEnded)
{
    const auto exited = [](int code) { return code << 8; }; // as waitpid reports a normal exit
    EXPECT_EQ(exit_outcome(exited(0), {}).status, domain::SessionStatus::Success);
    EXPECT_EQ(exit_outcome(exited(0), {}).message, "Exited with code 0.");
    EXPECT_EQ(exit_outcome(exited(3), {3, 4}).status, domain::SessionStatus::Warning);
    EXPECT_EQ(exit_outcome(exited(5), {3, 4}).status, domain::SessionStatus::Error);
    EXPECT_EQ(exit_outcome(exited(5), {3, 4}).message, "Exited with code 5.");
    const auto killed = exit_outcome(SIGKILL, {});
    ASSERT_TRUE(WIFSIGNALED(SIGKILL));
    EXPECT_EQ(killed.status, domain::SessionStatus::Error);
    EXPECT_EQ(killed.message, "Killed by SIGKILL (9).");
}

} // namespace
} // namespace jobsessions::runner
