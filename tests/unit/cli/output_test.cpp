// SPDX-License-Identifier: Apache-2.0
#include "cli/connection.hpp"
#include "cli/json_stream.hpp"
#include "cli/output.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdio>

namespace jobsessions::cli {
namespace {

TEST(ReadableDuration, TheTwoLargestUnits)
{
    EXPECT_EQ(readable_duration("00:02:47.7726740"), "2m 47s");
    EXPECT_EQ(readable_duration("01:02:03.5000000"), "1h 2m");
    EXPECT_EQ(readable_duration("02:00:09.0000000"), "2h");
    EXPECT_EQ(readable_duration("1.02:03:04.5000000"), "1d 2h");
    EXPECT_EQ(readable_duration("12.00:00:00.0000000"), "12d");
    EXPECT_EQ(readable_duration("00:00:45.0000000"), "45s");
    EXPECT_EQ(readable_duration("00:00:00.0000100"), "<1s");
    EXPECT_EQ(readable_duration("00:00:00.0000000"), "0s");
    EXPECT_EQ(readable_duration("soon"), "soon");
}

TEST(ReadableTime, UtcOrLocal)
{
    EXPECT_EQ(readable_time(boost::json::value("2026-11-30T22:00:00.123456Z"), true), "2026-11-30 22:00:00Z");
    EXPECT_EQ(readable_time(boost::json::value(nullptr), true), "");
    EXPECT_EQ(readable_time(boost::json::value("yesterday"), true), "yesterday");
    ::setenv("TZ", "Europe/Berlin", 1);
    ::tzset();
    EXPECT_EQ(readable_time(boost::json::value("2026-11-30T22:00:00.000000Z"), false), "2026-11-30 23:00:00");
    EXPECT_EQ(readable_time(boost::json::value("2026-07-01T22:00:00.000000Z"), false), "2026-07-02 00:00:00");
    ::unsetenv("TZ");
    ::tzset();
}

TEST(NormalizeFingerprint, AnyCommonSpelling)
{
    const std::string canonical = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:"
                                  "23:45:67:89";
    EXPECT_EQ(normalize_fingerprint(canonical), canonical);
    EXPECT_EQ(normalize_fingerprint("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"), canonical);
    EXPECT_EQ(normalize_fingerprint("abcdef"), "");
    EXPECT_EQ(normalize_fingerprint(canonical + ":00"), "");
    EXPECT_EQ(normalize_fingerprint("zz" + canonical.substr(2)), "");
}

TEST(ArrayMemberReader, HandsOverEachItemAsItCompletesWhateverThePieces)
{
    const std::string document =
        R"({"offset":0,"totalCount":3,"results":[{"id":"1","info":{"a":[1,2.5,true,null]}},)"
        R"({"id":"2","message":"a \"quoted\" \u00e9 text"},{"id":"3"}],"_links":{"self":{"href":"x"}}})";
    for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, document.size()}) {
        std::vector<std::string> items;
        ArrayMemberReader reader(
            "results", [&items](const boost::json::object& o) { items.push_back(boost::json::serialize(o)); });
        for (std::size_t at = 0; at < document.size(); at += piece) {
            reader.write(std::string_view(document).substr(at, piece));
        }
        reader.finish();
        ASSERT_EQ(items.size(), 3U) << piece;
        EXPECT_EQ(items[0], R"({"id":"1","info":{"a":[1,2.5E0,true,null]}})");
        EXPECT_EQ(boost::json::parse(items[1]).at("message").as_string(), "a \"quoted\" \xc3\xa9 text");
        EXPECT_EQ(reader.top_level_integer("totalCount"), 3);
    }
}

TEST(ArrayMemberReader, RefusesWhatIsNotJsonOrEndsEarly)
{
    ArrayMemberReader broken("results", [](const boost::json::object&) {});
    EXPECT_ANY_THROW(broken.write(R"({"results":[{"id":})"));
    ArrayMemberReader cut("results", [](const boost::json::object&) {});
    cut.write(R"({"results":[{"id":"1"})");
    EXPECT_ANY_THROW(cut.finish());
}

std::string printed(Format format, const std::vector<std::string>& items)
{
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = ::open_memstream(&text, &size);
    {
        std::vector<Column> columns{
            Column{"NAME",
                   [](const boost::json::object& o, const Style&) { return std::string(o.at("name").as_string()); },
                   [](const boost::json::object& o) { return std::string(o.at("name").as_string()); }},
            Column{"N", [](const boost::json::object& o, const Style&) { return boost::json::serialize(o.at("n")); },
                   [](const boost::json::object& o) { return boost::json::serialize(o.at("n")); }}};
        Printer printer(format, std::move(columns), Style{}, out);
        for (const auto& item : items) {
            printer.add(boost::json::parse(item).as_object());
        }
        printer.finish();
    }
    std::fclose(out);
    std::string result(text, size);
    std::free(text);
    return result;
}

TEST(Printer, EachFormat)
{
    const std::vector<std::string> items{R"({"name":"a, \"b\"","n":1})", R"({"name":"tab\there","n":22})"};
    EXPECT_EQ(printed(Format::Table, items), "NAME      N\na, \"b\"    1\ntab here  22\n");
    // Nothing a log line holds reaches the terminal as a control: no escape sequence, no C1 control.
    EXPECT_EQ(printed(Format::Table, {R"({"name":"\u001b]0;owned\u0007x\u009b2J","n":1})"}),
              "NAME            N\n?]0;owned?x?2J  1\n");
    EXPECT_EQ(printed(Format::Tsv, items), "a, \"b\"\t1\ntab here\t22\n");
    EXPECT_EQ(printed(Format::Csv, items), "NAME,N\n\"a, \"\"b\"\"\",1\ntab\there,22\n");
    EXPECT_EQ(printed(Format::Jsonl, items), R"({"name":"a, \"b\"","n":1})"
                                             "\n"
                                             R"({"name":"tab\there","n":22})"
                                             "\n");
    EXPECT_EQ(printed(Format::Json, items), R"([{"name":"a, \"b\"","n":1},{"name":"tab\there","n":22}])"
                                            "\n");
    EXPECT_EQ(printed(Format::Json, {}), "[]\n");
    EXPECT_EQ(printed(Format::Yaml, {R"({"name":"4","n":1})"}), "- name: \"4\"\n  n: 1\n");
}

} // namespace
} // namespace jobsessions::cli
