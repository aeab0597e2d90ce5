// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/ip_address.hpp"

#include <cstdint>

namespace jobsessions::util {
namespace {

std::optional<std::string> v4_reason(const boost::asio::ip::address_v4& address)
{
    const std::uint32_t a = address.to_uint();
    const auto in = [a](std::uint32_t network, int bits) {
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        return (a & mask) == network;
    };
    if (in(0x7F000000, 8)) {
        return "loopback";
    }
    if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16)) {
        return "private";
    }
    if (in(0xA9FE0000, 16)) {
        return "link-local";
    }
    if (in(0x00000000, 8)) {
        return "unspecified";
    }
    if (in(0x64400000, 10)) {
        return "shared";
    }
    if (in(0xE0000000, 4)) {
        return "multicast";
    }
    // 192.0.0.0/24 (protocol assignments), the documentation networks, 198.18.0.0/15 (benchmarks), 240.0.0.0/4.
    if (in(0xC0000000, 24) || in(0xC0000200, 24) || in(0xC6336400, 24) || in(0xCB007100, 24) || in(0xC6120000, 15) ||
        in(0xF0000000, 4)) {
        return "reserved";
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> non_public_reason(const boost::asio::ip::address& address)
{
    if (address.is_v4()) {
        return v4_reason(address.to_v4());
    }
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
        return v4_reason(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
    }
    if (v6.is_loopback()) {
        return "loopback";
    }
    if (v6.is_unspecified()) {
        return "unspecified";
    }
    if (v6.is_link_local()) {
        return "link-local";
    }
    if (v6.is_multicast()) {
        return "multicast";
    }
    const auto bytes = v6.to_bytes();
    if ((bytes[0] & 0xFEU) == 0xFCU) {
        return "private"; // fc00::/7, unique local
    }
    if ((bytes[0] == 0xFEU && (bytes[1] & 0xC0U) == 0xC0U) ||
        (bytes[0] == 0x20U && bytes[1] == 0x01U && bytes[2] == 0x0DU && bytes[3] == 0xB8U)) {
        return "reserved"; // fec0::/10 (old site-local), 2001:db8::/32 (documentation)
    }
    bool v4_compatible = true; // ::a.b.c.d (loopback and unspecified are judged above)
    for (std::size_t i = 0; i < 12; ++i) {
        v4_compatible = v4_compatible && bytes.at(i) == 0;
    }
    if (v4_compatible || (bytes[0] == 0x00U && bytes[1] == 0x64U && bytes[2] == 0xFFU && bytes[3] == 0x9BU)) {
        return "reserved"; // ::a.b.c.d and 64:ff9b::/96 (NAT64) reach IPv4 addresses this check would not see
    }
    return std::nullopt;
}

} // namespace jobsessions::util
