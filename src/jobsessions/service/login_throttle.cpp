// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/login_throttle.hpp"

#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/log/log.hpp"

#include <algorithm>

namespace jobsessions::service {
namespace {

DomainError unavailable(const store::StoreError& error)
{
    return {DomainErrc::Unavailable, {}, "The login store is unavailable.", error.message};
}

/// A user name folded as the store matches names (ASCII without regard to case).
std::string folded(std::string_view username)
{
    std::string out(username);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

std::string hashed(std::string_view prefix, std::string_view text)
{
    // 128 bits of SHA-256 tell keys apart; the name itself is never stored.
    std::string key(prefix);
    key += auth::base64url_encode(auth::sha256(text).substr(0, 16));
    return key;
}

} // namespace

std::string throttle_address(const boost::asio::ip::address& address)
{
    if (address.is_v4()) {
        return address.to_string();
    }
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    }
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::string loggable_name(std::string_view username)
{
    std::string out;
    for (const char c : username.substr(0, 64)) {
        out.push_back(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
    }
    if (username.size() > 64) {
        out += "...";
    }
    return out;
}

LoginThrottle::LoginThrottle(store::LoginStore& store, const util::Clock& clock, LoginThrottleConfig config)
    : store_(store)
    , clock_(clock)
    , config_(config)
{
}

LoginThrottle::Keys LoginThrottle::keys_of(std::string_view username, const boost::asio::ip::address& address) const
{
    const auto name = folded(username);
    const auto where = throttle_address(address);
    return Keys{hashed("ua:", name + '\n' + where), "a:" + where, hashed("u:", name),
                hashed("k:", name + '\n' + where)};
}

Outcome<bool> LoginThrottle::known(const Keys& keys, util::Micros now)
{
    auto last = store_.last_login_success(keys.known_address);
    if (!last) {
        return unavailable(last.error());
    }
    const auto lifetime = std::chrono::duration_cast<std::chrono::microseconds>(config_.known_address_lifetime);
    return last->has_value() && **last >= now - lifetime.count();
}

util::Micros LoginThrottle::next_attempt(const store::LoginFailures& failures, std::int64_t free) const
{
    if (failures.count <= free) {
        return 0;
    }
    // One second after the first failure past the free ones, doubling, up to the longest delay.
    const auto max_delay = std::chrono::duration_cast<std::chrono::microseconds>(config_.max_delay).count();
    const auto doublings = std::min<std::int64_t>(failures.count - free - 1, 40);
    const auto delay = std::min<util::Micros>(util::kMicrosPerSecond << doublings, max_delay);
    return failures.last + delay;
}

Outcome<std::optional<util::Micros>> LoginThrottle::wait_until(std::string_view username,
                                                               const boost::asio::ip::address& address)
{
    const auto now = clock_.now();
    const auto keys = keys_of(username, address);
    auto is_known = known(keys, now);
    if (!is_known) {
        return is_known.error();
    }
    auto counts = store_.login_failures({keys.user_and_address, keys.address, keys.account});
    if (!counts) {
        return unavailable(counts.error());
    }
    util::Micros until = std::max(next_attempt((*counts)[0], config_.free_per_user_and_address),
                                  next_attempt((*counts)[1], config_.free_per_address));
    if (!*is_known) {
        until = std::max(until, next_attempt((*counts)[2], config_.free_per_account));
    }
    return until > now ? std::optional<util::Micros>(until) : std::nullopt;
}

Outcome<util::Micros> LoginThrottle::failed(std::string_view username, const boost::asio::ip::address& address)
{
    const auto now = clock_.now();
    const auto keys = keys_of(username, address);
    // In a form fail2ban and its kind can match: the name made safe for one line, the address as it connected.
    // A JSON line names both apart too (the name then escaped as JSON, not made safe).
    const auto client = address.to_string();
    log::write(log::Level::Warning, "login failed for user '" + loggable_name(username) + "' from " + client,
               {{"client", client, false}, {"user", username, false}});
    auto is_known = known(keys, now);
    if (!is_known) {
        return is_known.error();
    }
    std::vector<std::string> counted{keys.user_and_address, keys.address};
    if (!*is_known) {
        counted.push_back(keys.account);
    }
    const auto forget = std::chrono::duration_cast<std::chrono::microseconds>(config_.forget_after).count();
    auto counts = store_.add_login_failure(counted, now, now - forget);
    if (!counts) {
        return unavailable(counts.error());
    }
    util::Micros until = std::max(next_attempt((*counts)[0], config_.free_per_user_and_address),
                                  next_attempt((*counts)[1], config_.free_per_address));
    if (counts->size() > 2) {
        until = std::max(until, next_attempt((*counts)[2], config_.free_per_account));
    }
    const auto longest = std::chrono::duration_cast<std::chrono::microseconds>(config_.longest_held_answer).count();
    return std::clamp(until, now, now + longest);
}

Outcome<void> LoginThrottle::succeeded(std::string_view username, const boost::asio::ip::address& address)
{
    const auto keys = keys_of(username, address);
    if (auto recorded = store_.record_login_success(keys.user_and_address, keys.known_address, clock_.now());
        !recorded) {
        return unavailable(recorded.error());
    }
    return {};
}

} // namespace jobsessions::service
