// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/strings.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

namespace jobsessions::util {
namespace {

TEST(Iequals, MatchesAsciiLettersWithoutRegardToCaseAndNothingElse)
{
    EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("sun", "Sat"));
    EXPECT_FALSE(iequals("abc", "abcd"));
    EXPECT_FALSE(iequals("@[", "`{")); // 0x40/0x60 and 0x5B/0x7B differ by the case bit, but are no letters
    EXPECT_FALSE(iequals("\xC3\xA9", "\xE3\xA9"));
}

// Found by the cron fuzzer: Beast 1.81's iequals read a byte past its arguments when they differed only in case.
// Each argument here ends a heap block of its own, so AddressSanitizer sees a read past it.
TEST(Iequals, ReadsNothingPastItsArguments)
{
    const auto a = std::make_unique<char[]>(3);
    const auto b = std::make_unique<char[]>(3);
    std::memcpy(a.get(), "sun", 3);
    std::memcpy(b.get(), "SUN", 3);
    EXPECT_TRUE(iequals({a.get(), 3}, {b.get(), 3}));
}

} // namespace
} // namespace jobsessions::util
