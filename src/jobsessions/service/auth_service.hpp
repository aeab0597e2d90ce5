// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/auth/user_directory.hpp"
#include "jobsessions/service/login_throttle.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/service/principal.hpp"
#include "jobsessions/store/account_store.hpp"
#include "jobsessions/util/clock.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::service {

/// A pair of tokens and who they are for.
struct TokenGrant {
    std::string access_token;
    /// Empty when the login made none (LoginAttempt::refreshable).
    std::string refresh_token;
    util::Micros issued = 0;
    util::Micros expires = 0;
    /// When the refresh token stops working.
    util::Micros refresh_expires = 0;
    std::int64_t user_id = 0;
    std::string username;
    domain::Role role = domain::Role::Viewer;
};

/// A login attempt: who, with what, from where.
struct LoginAttempt {
    std::string username;
    std::string password;
    boost::asio::ip::address address;
    /// False for a client that asks again with its credentials when its access token expires (OAuth's client
    /// credentials grant, as Prometheus does): no refresh token is made.
    bool refreshable = true;
};

/// What a login attempt came to.
struct LoginOutcome {
    /// The tokens; or Unauthorized (an unknown user, a wrong password and a disabled user alike), Throttled (the
    /// password was not checked; `retry_at` says when to try again) or Unavailable.
    Outcome<TokenGrant> grant;
    /// When the answer may go out: a failed attempt's answer is held back until its next attempt may be made.
    util::Micros answer_at = 0;
    /// For a throttled attempt, or one refused because too many logins are being checked: when to try again.
    std::optional<util::Micros> retry_at;
};

/// Token lifetimes.
struct TokenLifetimes {
    std::int64_t access_seconds = 3600;
    std::int64_t refresh_seconds = std::int64_t{14} * 24 * 3600;
};

/// What logins are kept in: users, refresh tokens, the throttle's counts.
struct AccountStores {
    store::UserStore& users;
    store::TokenStore& tokens;
    store::LoginStore& logins;
};

/// Logins, refresh-token rotation, logout, and checking access tokens on requests. Thread-safe.
class AuthService {
public:
    /// `signing_key` is the shared HMAC key from the store.
    AuthService(AccountStores stores, const util::Clock& clock, auth::UserDirectory& users,
                std::string_view signing_key, LoginThrottleConfig throttle = {}, TokenLifetimes lifetimes = {});
    /// Waits for the logins being checked.
    ~AuthService();
    AuthService(const AuthService&) = delete;
    AuthService& operator=(const AuthService&) = delete;

    /// Checks a login without holding the caller's thread: an attempt the throttle holds back is answered at
    /// once, unchecked; otherwise the password is hashed on the service's own small pool (Argon2id takes 64 MiB
    /// and most of a core for a moment: never on the threads that serve requests or writes), where `done` is
    /// then called. An unknown user, a wrong password and a disabled user get the same answer after the same
    /// work; each failure is counted and logged. `done` is called exactly once.
    void login(LoginAttempt attempt, std::function<void(LoginOutcome)> done);

    /// Spends a refresh token for a new pair; a token presented twice revokes its whole login.
    Outcome<TokenGrant> refresh(std::string_view refresh_token);

    /// Revokes the refresh tokens of a login.
    Outcome<void> logout(std::uint64_t login_id);

    /// The principal of a valid, unexpired access token of an enabled user; no database access.
    [[nodiscard]] std::optional<Principal> authenticate(std::string_view access_token) const;

    /// The name of the user with this id, from the in-memory directory (empty: no such user).
    [[nodiscard]] std::string user_name(std::int64_t id) const;

    /// Reloads the in-memory user directory from the store.
    Outcome<void> reload_users();

private:
    Outcome<TokenGrant> issue(const auth::UserEntry& user, std::uint64_t login_id, std::string refresh_token,
                              util::Micros now) const;
    /// The part of a login on the hashing pool.
    LoginOutcome check(LoginAttempt& attempt);

    store::UserStore& user_store_;
    store::TokenStore& tokens_;
    const util::Clock& clock_;
    auth::UserDirectory& users_;
    auth::TokenCodec codec_;
    TokenLifetimes lifetimes_;
    /// Unique per service, so a thread's cache of checked tokens never serves another service.
    std::uint64_t id_;
    LoginThrottle throttle_;
    /// Logins waiting for or in the hashing pool, bounded so that a flood is turned away instead of queued.
    std::atomic<std::size_t> logins_in_check_{0};
    /// Half the cores: a flood of logins leaves the rest of the machine to everything else.
    boost::asio::thread_pool hashing_;
};

/// SHA-256 of a refresh token, as stored.
std::string hash_refresh_token(std::string_view token);

} // namespace jobsessions::service
