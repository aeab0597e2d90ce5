// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/time.hpp"

#include <gtest/gtest.h>

namespace jobsessions::util {
namespace {

// 2020-02-05T11:07:10.002679Z, the contract's start time.
constexpr Micros kSeedStart = 1580900830002679;

TEST(Timestamp, FormatsWithSixDigitsAndZ)
{
    EXPECT_EQ(format_timestamp(kSeedStart), "2020-02-05T11:07:10.002679Z");
    EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(format_timestamp(951782400LL * kMicrosPerSecond), "2000-02-29T00:00:00.000000Z");
    EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(Timestamp, EveryDigitIsInItsPlaceAcrossTheYears)
{
    EXPECT_EQ(format_timestamp(253402300799999999), "9999-12-31T23:59:59.999999Z");
    EXPECT_EQ(format_timestamp(1234567890123456), "2009-02-13T23:31:30.123456Z");
    // A step that is no round number of any unit lands on every digit; each text reads back as what was written.
    for (Micros t = -86'400'000'000; t < 4'102'444'800'000'000; t += 987'654'321'987) {
        const auto text = format_timestamp(t);
        ASSERT_EQ(text.size(), 27U) << t;
        EXPECT_EQ(parse_timestamp(text), t) << text;
    }
}

TEST(Timestamp, FormatsSevenDigitsForTokens)
{
    EXPECT_EQ(format_timestamp_7(kSeedStart), "2020-02-05T11:07:10.0026790Z");
}

TEST(Timestamp, ParsesEveryAcceptedForm)
{
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07:10.002679Z"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07:10.0026790Z"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07:10.0026799Z"), kSeedStart); // the seventh digit is below a µs
    EXPECT_EQ(parse_timestamp("2020-02-05t11:07:10.002679z"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T12:07:10.002679+01:00"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T06:37:10.002679-0430"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T13:07:10.002679+02"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07:10.002679"), kSeedStart); // no offset: UTC
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07:10Z"), kSeedStart - 2679);
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07Z"), kSeedStart - 10'002'679);
    EXPECT_EQ(parse_timestamp("2020-02-05 11:07:10.002679Z"), kSeedStart);
    EXPECT_EQ(parse_timestamp("2020-02-05T11:07:10.5Z"), kSeedStart - 2679 + 500'000);
    EXPECT_EQ(parse_timestamp("2021-06-03"), 1622678400LL * kMicrosPerSecond); // a date alone: midnight UTC
    EXPECT_EQ(parse_timestamp("2024-02-29"), 1709164800LL * kMicrosPerSecond);
}

TEST(Timestamp, RefusesMalformedInput)
{
    for (const char* bad : {"", "2020", "2020-02", "2020-2-05", "2020-02-30", "2021-02-29", "2020-13-01", "2020-02-05T",
                            "2020-02-05T24:00:00Z", "2020-02-05T11:60:00Z", "2020-02-05T11:07:61Z",
                            "2020-02-05T11:07:10.Z", "2020-02-05T11:07:10.12345678Z", "2020-02-05T11:07:10+25:00",
                            "2020-02-05T11:07:10Zjunk", "yesterday", "0000-01-01", "2020-02-05T11:07:10.002679+01:"}) {
        EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
    }
}

TEST(TimeSpan, FormatsLikeDotNetConstantFormat)
{
    EXPECT_EQ(format_timespan(167'772'674), "00:02:47.7726740");
    EXPECT_EQ(format_timespan(0), "00:00:00.0000000");
    EXPECT_EQ(format_timespan(23 * 3600 * kMicrosPerSecond + 59 * 60 * kMicrosPerSecond + 59'999'999),
              "23:59:59.9999990");
    EXPECT_EQ(format_timespan(24 * 3600 * kMicrosPerSecond), "1.00:00:00.0000000");
    EXPECT_EQ(format_timespan((26 * 3600 + 3 * 60 + 4) * kMicrosPerSecond + 500'000), "1.02:03:04.5000000");
    EXPECT_EQ(format_timespan(400LL * 24 * 3600 * kMicrosPerSecond), "400.00:00:00.0000000");
    EXPECT_EQ(format_timespan(-1'500'000), "-00:00:01.5000000");
}

TEST(TimeSpan, ParsesEveryAcceptedForm)
{
    EXPECT_EQ(parse_timespan("00:02:47.7726740"), 167'772'674);
    EXPECT_EQ(parse_timespan("00:02:47.772674"), 167'772'674);
    EXPECT_EQ(parse_timespan("00:02:47"), 167 * kMicrosPerSecond);
    EXPECT_EQ(parse_timespan("1.02:03:04.5000000"), (26 * 3600 + 3 * 60 + 4) * kMicrosPerSecond + 500'000);
    EXPECT_EQ(parse_timespan("-00:00:01.5"), -1'500'000);
    EXPECT_EQ(parse_timespan("3:04:05"), (3 * 3600 + 4 * 60 + 5) * kMicrosPerSecond);
}

TEST(TimeSpan, RoundTripsThroughItsText)
{
    for (const Micros d :
         {Micros{0}, Micros{1}, Micros{167'772'674}, Micros{86'400'000'000}, Micros{90'061'000'001}, Micros{-42}}) {
        EXPECT_EQ(parse_timespan(format_timespan(d)), d) << d;
    }
}

TEST(TimeSpan, RefusesMalformedInput)
{
    for (const char* bad : {"", "1", "00:00", "24:00:00", "00:60:00", "00:00:60", "1.24:00:00", "00:00:00.",
                            "00:00:00.12345678", "abc", "00:00:00 ", "123:00:00"}) {
        EXPECT_FALSE(parse_timespan(bad).has_value()) << bad;
    }
}

} // namespace
} // namespace jobsessions::util

namespace jobsessions::util {
namespace {

// Found by the time fuzzer: an offset carried 9999-12-31T23:59:59-23:59 into year 10000, which printed as year 0000.
TEST(TimestampRange, InstantsOutsideYearsOneTo9999InUtcAreRefused)
{
    EXPECT_FALSE(parse_timestamp("9999-12-31T23:59:59.999999-23:59"));
    EXPECT_FALSE(parse_timestamp("0001-01-01T00:00:00+01:00"));
    ASSERT_TRUE(parse_timestamp("9999-12-31T23:59:59.999999Z"));
    EXPECT_EQ(*parse_timestamp("9999-12-31T23:59:59.999999Z"), kLatestTimestamp);
    EXPECT_EQ(format_timestamp(kLatestTimestamp), "9999-12-31T23:59:59.999999Z");
    ASSERT_TRUE(parse_timestamp("0001-01-01T00:00:00-01:00"));
    EXPECT_EQ(format_timestamp(*parse_timestamp("0001-01-01T00:00:00-01:00")), "0001-01-01T01:00:00.000000Z");
    EXPECT_EQ(format_timestamp(kEarliestTimestamp), "0001-01-01T00:00:00.000000Z");
}

} // namespace
} // namespace jobsessions::util
