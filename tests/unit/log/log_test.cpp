// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/log/log.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <array>
#include <regex>
#include <string>

namespace jobsessions::log {
namespace {

/// Each test sets the format it needs; every other test of this binary expects text.
class LogLine : public ::testing::Test {
protected:
    void TearDown() override { set_format(Format::Text); }
};

TEST_F(LogLine, TextQuotesAValueThatWouldReadAsSeveralFields)
{
    const std::string user = "eve client=10.0.0.1";
    const std::array<Field, 5> fields{{{"method", "GET", false},
                                       {"client", "192.0.2.7"},
                                       {"user", user},
                                       {"empty", ""},
                                       {"status", std::int64_t{404}}}};
    const auto line = format_line(Level::Info, "GET /x 404", fields);
    const std::regex text(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z info GET /x 404 client=192\.0\.2\.7 )"
                          R"(user="eve client=10\.0\.0\.1" empty="" status=404\n)");
    EXPECT_TRUE(std::regex_match(line, text)) << line;
}

TEST_F(LogLine, TextKeepsALineOneLineWhateverTheMessageOrAValueHolds)
{
    const std::array<Field, 1> fields{{{"user", "a\nb\"c\\"}}};
    const auto line = format_line(Level::Warning, "first\nsecond\r\x1b[2J", fields);
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_NE(line.find(R"( warning first\nsecond\r\u001b[2J user="a\nb\"c\\")"), std::string::npos) << line;
}

TEST_F(LogLine, JsonIsOneObjectWithTimeLevelMessageAndTheFieldsInOrder)
{
    set_format(Format::Json);
    const std::array<Field, 3> fields{{{"method", "POST", false}, {"status", std::int64_t{201}}, {"user", "ops"}}};
    const auto line = format_line(Level::Error, "POST /api/v1/jobSessions 201", fields);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    const auto object = boost::json::parse(line).as_object();
    EXPECT_TRUE(std::regex_match(std::string(object.at("time").as_string()),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z)")));
    EXPECT_EQ(object.at("level").as_string(), "error");
    EXPECT_EQ(object.at("message").as_string(), "POST /api/v1/jobSessions 201");
    EXPECT_EQ(object.at("method").as_string(), "POST"); // a JSON line names what the text's message says
    EXPECT_EQ(object.at("status").as_int64(), 201);
    EXPECT_EQ(object.at("user").as_string(), "ops");
    EXPECT_EQ(line.find("\"time\""), 1U);
    EXPECT_LT(line.find("\"method\""), line.find("\"status\""));
}

TEST_F(LogLine, JsonStaysValidForBytesThatAreNotUtf8AndCutsAHugeValue)
{
    set_format(Format::Json);
    const std::string huge(100'000, 'x');
    const std::array<Field, 2> fields{{{"user", "bad\xff\xfe"}, {"path", huge}}};
    const auto line = format_line(Level::Info, "message \xc3", fields);
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line.substr(0, 200);
    const auto& object = parsed.as_object();
    EXPECT_EQ(object.at("user").as_string(), "bad\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(object.at("message").as_string(), "message \xef\xbf\xbd");
    EXPECT_EQ(object.at("path").as_string(), std::string(1024, 'x') + "...");
    EXPECT_LT(line.size(), 1200U);
}

} // namespace
} // namespace jobsessions::log
