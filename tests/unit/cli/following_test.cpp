// SPDX-License-Identifier: Apache-2.0
#include "cli/following.hpp"
#include "cli/sse.hpp"

#include <gtest/gtest.h>

namespace jobsessions::cli {
namespace {

std::vector<SseEvent> parse_in_pieces(const std::string& stream, std::size_t piece)
{
    std::vector<SseEvent> events;
    SseParser parser([&events](const SseEvent& e) { events.push_back(e); });
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        parser.feed(std::string_view(stream).substr(at, piece));
    }
    return events;
}

TEST(SseParser, EventsWhateverThePiecesAndLineEnds)
{
    const std::string stream = "event: status\ndata: {\"s\":1}\n\n: heartbeat\n\nid: 7\r\nevent: log\r\ndata: a\r\n"
                               "data:b\r\n\r\nid: 8\revent: log\rdata: c\r\rdata\n\nevent: empty\n\n";
    for (const std::size_t piece : {std::size_t{1}, std::size_t{3}, stream.size()}) {
        const auto events = parse_in_pieces(stream, piece);
        ASSERT_EQ(events.size(), 4U) << piece;
        EXPECT_EQ(events[0].type, "status");
        EXPECT_EQ(events[0].data, "{\"s\":1}");
        EXPECT_EQ(events[0].id, "");
        EXPECT_EQ(events[1].type, "log");
        EXPECT_EQ(events[1].id, "7");
        EXPECT_EQ(events[1].data, "a\nb");
        EXPECT_EQ(events[2].id, "8");
        EXPECT_EQ(events[2].data, "c");
        // A field with no colon is a field with an empty value; the id carries over.
        EXPECT_EQ(events[3].type, "message");
        EXPECT_EQ(events[3].data, "");
        EXPECT_EQ(events[3].id, "8");
    }
}

TEST(ParseDuration, SecondsMinutesHours)
{
    EXPECT_EQ(parse_duration("90"), std::chrono::seconds(90));
    EXPECT_EQ(parse_duration("90s"), std::chrono::seconds(90));
    EXPECT_EQ(parse_duration("15m"), std::chrono::seconds(900));
    EXPECT_EQ(parse_duration("1h30m"), std::chrono::seconds(5400));
    EXPECT_EQ(parse_duration(""), std::nullopt);
    EXPECT_EQ(parse_duration("soon"), std::nullopt);
    EXPECT_EQ(parse_duration("m"), std::nullopt);
    EXPECT_EQ(parse_duration("5d"), std::nullopt);
}

TEST(OutcomeExitCode, SuccessAndWarningPassTheRestFail)
{
    EXPECT_EQ(outcome_exit_code("Success"), kSuccess);
    EXPECT_EQ(outcome_exit_code("Warning"), kSuccess);
    EXPECT_EQ(outcome_exit_code("Error"), kSessionFailed);
    EXPECT_EQ(outcome_exit_code("Canceled"), kSessionFailed);
    EXPECT_EQ(outcome_exit_code("NeverExecuted"), kSessionFailed);
}

} // namespace
} // namespace jobsessions::cli
