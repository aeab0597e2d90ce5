// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/strings.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace jobsessions::util {
namespace {

TEST(Strings, DecimalDigitsCountWhatAppendIntWrites)
{
    for (const std::int64_t value :
         {std::int64_t{0}, std::int64_t{7}, std::int64_t{9}, std::int64_t{10}, std::int64_t{99}, std::int64_t{100},
          std::int64_t{-1}, std::int64_t{-10}, std::int64_t{999'999'999'999'999'999},
          std::int64_t{1'000'000'000'000'000'000}, std::numeric_limits<std::int64_t>::max(),
          std::numeric_limits<std::int64_t>::min()}) {
        std::string text;
        append_int(text, value);
        EXPECT_EQ(decimal_digits(value), static_cast<int>(text.size())) << text;
    }
}

} // namespace
} // namespace jobsessions::util
