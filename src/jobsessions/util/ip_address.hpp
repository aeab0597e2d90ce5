// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>

namespace jobsessions::util {

/// Why `address` is not a public Internet address — "loopback", "private", "link-local", "unspecified",
/// "multicast", "shared" (carrier-grade NAT), "reserved" — or nullopt when it is one. An IPv4 address mapped
/// into IPv6 is judged as the IPv4 address. Outgoing requests a user names (webhooks) go only to public addresses
/// unless the administrator allows the others: the server must not be a way into its own network.
std::optional<std::string> non_public_reason(const boost::asio::ip::address& address);

} // namespace jobsessions::util
