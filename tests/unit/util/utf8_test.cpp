// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/utf8.hpp"

#include <gtest/gtest.h>

namespace jobsessions::util {
namespace {

TEST(Utf8, KeepsWellFormedText)
{
    EXPECT_EQ(to_valid_utf8("plain ascii"), "plain ascii");
    EXPECT_EQ(to_valid_utf8("Gr\xC3\xBC\xC3\x9F\x65 \xE2\x82\xAC \xF0\x9F\x93\xA6"),
              "Gr\xC3\xBC\xC3\x9F\x65 \xE2\x82\xAC \xF0\x9F\x93\xA6");
}

TEST(Utf8, ReplacesEachBadByte)
{
    EXPECT_EQ(to_valid_utf8("a\xFF"
                            "b"),
              "a\xEF\xBF\xBD"
              "b");
    // Latin-1 output of a tool: one replacement per byte.
    EXPECT_EQ(to_valid_utf8("caf\xE9"), "caf\xEF\xBF\xBD");
    // A sequence cut short, an overlong form and a surrogate.
    EXPECT_EQ(to_valid_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(to_valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

} // namespace
} // namespace jobsessions::util
