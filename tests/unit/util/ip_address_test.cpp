// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/ip_address.hpp"

#include <gtest/gtest.h>

namespace jobsessions::util {
namespace {

std::optional<std::string> reason(const char* text)
{
    return non_public_reason(boost::asio::ip::make_address(text));
}

TEST(NonPublicAddresses, AreNamedWithTheirKind)
{
    EXPECT_EQ(reason("127.0.0.1"), "loopback");
    EXPECT_EQ(reason("127.255.0.9"), "loopback");
    EXPECT_EQ(reason("::1"), "loopback");
    EXPECT_EQ(reason("10.0.0.1"), "private");
    EXPECT_EQ(reason("172.16.0.1"), "private");
    EXPECT_EQ(reason("172.31.255.255"), "private");
    EXPECT_EQ(reason("192.168.1.1"), "private");
    EXPECT_EQ(reason("fd00::1"), "private");
    EXPECT_EQ(reason("169.254.169.254"), "link-local"); // cloud metadata services
    EXPECT_EQ(reason("fe80::1"), "link-local");
    EXPECT_EQ(reason("0.0.0.0"), "unspecified");
    EXPECT_EQ(reason("::"), "unspecified");
    EXPECT_EQ(reason("100.64.0.1"), "shared");
    EXPECT_EQ(reason("224.0.0.1"), "multicast");
    EXPECT_EQ(reason("ff02::1"), "multicast");
    EXPECT_EQ(reason("192.0.2.1"), "reserved");
    EXPECT_EQ(reason("255.255.255.255"), "reserved");
    EXPECT_EQ(reason("2001:db8::1"), "reserved");
}

TEST(NonPublicAddresses, IPv4InsideIPv6IsJudgedAsIPv4)
{
    EXPECT_EQ(reason("::ffff:127.0.0.1"), "loopback");
    EXPECT_EQ(reason("::ffff:192.168.0.1"), "private");
    EXPECT_EQ(reason("::ffff:8.8.8.8"), std::nullopt);
    EXPECT_EQ(reason("::10.0.0.1"), "reserved");
    EXPECT_EQ(reason("64:ff9b::a00:1"), "reserved");
}

TEST(NonPublicAddresses, PublicOnesPass)
{
    for (const char* text : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "2a00:1450::1"}) {
        EXPECT_EQ(reason(text), std::nullopt) << text;
    }
}

} // namespace
} // namespace jobsessions::util
