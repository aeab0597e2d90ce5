// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/account_store.hpp"
#include "jobsessions/util/clock.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::service {

/// How failed logins are slowed down. After its free failures, each key's next attempt waits a second, then
/// twice as long after each further failure, up to `max_delay`; failures are forgotten `forget_after` after the
/// last one. The defaults keep any one account under 100 failed attempts an hour (OWASP ASVS 2.2.1).
struct LoginThrottleConfig {
    /// Failures of one user name from one address before its attempts are slowed.
    std::int64_t free_per_user_and_address = 3;
    /// Failures from one address, whatever the user names, before its attempts are slowed (password spraying).
    std::int64_t free_per_address = 20;
    /// Failures of one user name from addresses where it never logged in before its attempts from such addresses
    /// are slowed (guessing from many addresses). The addresses where it did log in keep their own count alone, so
    /// that no one elsewhere can lock a user out.
    std::int64_t free_per_account = 50;
    std::chrono::seconds max_delay{900};
    std::chrono::seconds forget_after{3600};
    /// How long an address where a user logged in counts as theirs.
    std::chrono::seconds known_address_lifetime{std::chrono::hours(24 * 90)};
    /// The longest a failed attempt's answer is held back; a client that tries again sooner than it may gets a 429
    /// saying when it may (so that no client waits minutes for an answer).
    std::chrono::seconds longest_held_answer{2};
};

/// Counts failed logins in the store (so the counts hold across restarts and servers) and says how long an
/// attempt must wait. Keys are hashed: no user name anybody typed is stored as it was typed. An IPv6 address
/// counts by its /64, which one client can usually fill at will. Thread-safe.
class LoginThrottle {
public:
    LoginThrottle(store::LoginStore& store, const util::Clock& clock, LoginThrottleConfig config);

    /// When an attempt of `username` from `address` may be made: nullopt for now, else the time.
    Outcome<std::optional<util::Micros>> wait_until(std::string_view username, const boost::asio::ip::address& address);

    /// Counts a failed attempt; returns until when its answer is held back: until the next attempt may be made,
    /// at most `longest_held_answer` from now. Logs the failure with the user name and the address.
    Outcome<util::Micros> failed(std::string_view username, const boost::asio::ip::address& address);

    /// A successful login: the failures of this user name from this address are forgotten and the address is
    /// known as the user's.
    Outcome<void> succeeded(std::string_view username, const boost::asio::ip::address& address);

private:
    struct Keys {
        std::string user_and_address;
        std::string address;
        std::string account;
        std::string known_address;
    };
    Keys keys_of(std::string_view username, const boost::asio::ip::address& address) const;
    /// Whether `username` logged in from this address within the known-address lifetime.
    Outcome<bool> known(const Keys& keys, util::Micros now);
    /// When a key with `failures` may next be tried, given its free failures (0: at once).
    [[nodiscard]] util::Micros next_attempt(const store::LoginFailures& failures, std::int64_t free) const;

    store::LoginStore& store_;
    const util::Clock& clock_;
    LoginThrottleConfig config_;
};

/// The address a throttle counts under: an IPv4 address (also when mapped into IPv6), or an IPv6 address's /64.
std::string throttle_address(const boost::asio::ip::address& address);

/// A user name as it may go into a log line: printable ASCII only (anything else, and `'`, as `?`), at most 64
/// characters, so that no name can forge or break a line that log readers such as fail2ban match.
std::string loggable_name(std::string_view username);

} // namespace jobsessions::service
