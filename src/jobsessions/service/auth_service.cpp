// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/auth_service.hpp"

#include "jobsessions/auth/password.hpp"
#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <boost/asio/post.hpp>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <functional>
#include <thread>

namespace jobsessions::service {
namespace {

std::atomic<std::uint64_t> g_next_service_id{1};

DomainError unauthorized(std::string message)
{
    return {DomainErrc::Unauthorized, {}, std::move(message)};
}
DomainError unavailable(std::string cause = {})
{
    return {DomainErrc::Unavailable, {}, "The token store is unavailable.", std::move(cause)};
}

// A small per-thread cache of tokens already checked, so a client sending the same token on every request pays
// for the signature check and JSON parse once.
struct CheckedToken {
    std::uint64_t service_id = 0;
    std::string token;
    auth::AccessClaims claims;
};
constexpr std::size_t kCheckedTokenSlots = 64;
thread_local std::array<CheckedToken, kCheckedTokenSlots> t_checked;

std::uint64_t random_login_id()
{
    std::uint64_t id = 0;
    while (id == 0) {
        randombytes_buf(&id, sizeof id);
    }
    return id;
}

std::size_t hashing_threads()
{
    return std::max(1U, std::thread::hardware_concurrency() / 2);
}

/// Logins that may wait for the hashing pool per thread of it; more are turned away to try again a second later.
constexpr std::size_t kQueuedLoginsPerThread = 16;

} // namespace

std::string hash_refresh_token(std::string_view token)
{
    return auth::sha256(token);
}

AuthService::AuthService(AccountStores stores, const util::Clock& clock, auth::UserDirectory& users,
                         std::string_view signing_key, LoginThrottleConfig throttle, TokenLifetimes lifetimes)
    : user_store_(stores.users)
    , tokens_(stores.tokens)
    , clock_(clock)
    , users_(users)
    , codec_(signing_key)
    , lifetimes_(lifetimes)
    , id_(g_next_service_id.fetch_add(1))
    , throttle_(stores.logins, clock, throttle)
    , hashing_(hashing_threads())
{
}

AuthService::~AuthService()
{
    hashing_.join();
}

Outcome<TokenGrant> AuthService::issue(const auth::UserEntry& user, std::uint64_t login_id, std::string refresh_token,
                                       util::Micros now) const
{
    TokenGrant grant;
    grant.issued = now;
    grant.expires = now + lifetimes_.access_seconds * util::kMicrosPerSecond;
    grant.refresh_expires = now + lifetimes_.refresh_seconds * util::kMicrosPerSecond;
    grant.user_id = user.id;
    grant.username = user.name;
    grant.role = user.role;
    auth::AccessClaims claims;
    claims.user_id = user.id;
    claims.username = user.name;
    claims.role = user.role;
    claims.login_id = login_id;
    claims.issued_at = now / util::kMicrosPerSecond;
    claims.not_before = claims.issued_at;
    claims.expires_at = grant.expires / util::kMicrosPerSecond;
    grant.access_token = codec_.sign(claims);
    grant.refresh_token = std::move(refresh_token);
    return grant;
}

void AuthService::login(LoginAttempt attempt, std::function<void(LoginOutcome)> done)
{
    const auto now = clock_.now();
    auto wait = throttle_.wait_until(attempt.username, attempt.address);
    if (!wait) {
        done(LoginOutcome{wait.error(), now, std::nullopt});
        return;
    }
    if (*wait) {
        done(LoginOutcome{DomainError{DomainErrc::Throttled, {}, "Too many failed logins; try again later."}, now,
                          **wait});
        return;
    }
    if (logins_in_check_.fetch_add(1) >= kQueuedLoginsPerThread * hashing_threads()) {
        logins_in_check_.fetch_sub(1);
        done(LoginOutcome{DomainError{DomainErrc::Unavailable, {}, "Too many logins at once; try again in a moment."},
                          now, now + util::kMicrosPerSecond});
        return;
    }
    boost::asio::post(hashing_, [this, attempt = std::move(attempt), done = std::move(done)]() mutable {
        util::name_this_thread_once("password-hash");
        auto outcome = check(attempt);
        sodium_memzero(attempt.password.data(), attempt.password.size());
        logins_in_check_.fetch_sub(1);
        done(std::move(outcome));
    });
}

LoginOutcome AuthService::check(LoginAttempt& attempt)
{
    auto user = user_store_.find_user(attempt.username);
    if (!user && user.error().code != store::StoreErrc::NotFound) {
        return LoginOutcome{unavailable(user.error().message), clock_.now(), std::nullopt};
    }
    bool password_ok = false;
    if (user) {
        password_ok = auth::verify_password(user->password_hash, attempt.password);
    } else {
        auth::burn_verify_time(attempt.password);
    }
    if (!user || !password_ok || user->disabled) {
        LoginOutcome refused{unauthorized("The user name or password is incorrect."), clock_.now(), std::nullopt};
        if (auto next = throttle_.failed(attempt.username, attempt.address)) {
            refused.answer_at = *next;
        } else {
            log::warning("cannot count a failed login: " + next.error().for_log());
        }
        return refused;
    }
    if (auto counted = throttle_.succeeded(attempt.username, attempt.address); !counted) {
        log::warning("cannot record the login of user id " + std::to_string(user->id) + ": " +
                     counted.error().for_log());
    }
    if (!users_.find(user->id)) {
        // A user added moment ago (from the command line, or on another server) is not in the directory yet;
        // load it now so that the token works on its first request.
        if (auto reloaded = reload_users(); !reloaded) {
            log::warning("cannot reload users after the login of user id " + std::to_string(user->id) + ": " +
                         reloaded.error().for_log());
        }
    }
    const auto now = clock_.now();
    const auto login_id = random_login_id();
    if (!attempt.refreshable) {
        return LoginOutcome{issue(auth::UserEntry{user->id, user->name, user->role, user->disabled}, login_id, {}, now),
                            now, std::nullopt};
    }
    auto refresh_token = auth::base64url_encode(auth::random_bytes(32));
    store::RefreshTokenRecord record;
    record.token_hash = hash_refresh_token(refresh_token);
    record.login_id = std::to_string(login_id);
    record.user_id = user->id;
    record.created_at = now;
    record.expires_at = now + lifetimes_.refresh_seconds * util::kMicrosPerSecond;
    if (auto inserted = tokens_.insert_refresh_token(record); !inserted) {
        return LoginOutcome{unavailable(inserted.error().message), now, std::nullopt};
    }
    return LoginOutcome{issue(auth::UserEntry{user->id, user->name, user->role, user->disabled}, login_id,
                              std::move(refresh_token), now),
                        now, std::nullopt};
}

Outcome<TokenGrant> AuthService::refresh(std::string_view refresh_token)
{
    const auto now = clock_.now();
    auto next_token = auth::base64url_encode(auth::random_bytes(32));
    store::RefreshTokenRecord next;
    next.token_hash = hash_refresh_token(next_token);
    next.created_at = now;
    next.expires_at = now + lifetimes_.refresh_seconds * util::kMicrosPerSecond;
    auto rotation = tokens_.rotate_refresh_token(hash_refresh_token(refresh_token), now, next);
    if (!rotation) {
        return unavailable();
    }
    switch (rotation->outcome) {
    case store::RotationOutcome::Invalid:
        return unauthorized("The refresh token is invalid, expired or revoked.");
    case store::RotationOutcome::Reused:
        log::warning("a spent refresh token was presented again; its login (user id " +
                     std::to_string(rotation->user_id) + ") has been revoked");
        return unauthorized("The refresh token is invalid, expired or revoked.");
    case store::RotationOutcome::Rotated:
        break;
    }
    auto user = users_.find(rotation->user_id);
    if (!user) {
        // The directory may not have caught up with a user created a moment ago.
        if (auto reloaded = reload_users(); !reloaded) {
            log::warning("cannot reload users for a refresh of user id " + std::to_string(rotation->user_id) + ": " +
                         reloaded.error().for_log());
        }
        user = users_.find(rotation->user_id);
    }
    if (!user || user->disabled) {
        // The token just spent is gone either way; what a failed revocation leaves are the login's other refresh
        // tokens, which the disabled user's next refresh finds refused here again.
        if (auto revoked = tokens_.revoke_login(rotation->login_id); !revoked) {
            log::warning("cannot revoke the login of disabled or removed user id " + std::to_string(rotation->user_id) +
                         ": " + revoked.error().message);
        }
        return unauthorized("The user is disabled or no longer exists.");
    }
    std::uint64_t login_id = 0;
    const auto& text = rotation->login_id;
    std::from_chars(text.data(), text.data() + text.size(), login_id);
    return issue(*user, login_id, std::move(next_token), now);
}

Outcome<void> AuthService::logout(std::uint64_t login_id)
{
    if (!tokens_.revoke_login(std::to_string(login_id))) {
        return unavailable();
    }
    return {};
}

std::optional<Principal> AuthService::authenticate(std::string_view access_token) const
{
    // A token ends with its signature, as good as random: its last characters place it as well as all of them do.
    const auto tail = access_token.substr(access_token.size() - std::min<std::size_t>(access_token.size(), 16));
    auto& slot = t_checked[std::hash<std::string_view>{}(tail) % kCheckedTokenSlots];
    if (slot.service_id != id_ || slot.token != access_token) {
        auto claims = codec_.verify(access_token);
        if (!claims) {
            return std::nullopt;
        }
        slot.service_id = id_;
        slot.token.assign(access_token);
        slot.claims = std::move(*claims);
    }
    const auto& claims = slot.claims;
    const auto now_seconds = clock_.now() / util::kMicrosPerSecond;
    // A minute of leeway for servers whose clocks disagree slightly.
    if (claims.expires_at <= now_seconds || claims.issued_at > now_seconds + 60 ||
        claims.not_before > now_seconds + 60) {
        return std::nullopt;
    }
    std::optional<Principal> principal;
    users_.visit(claims.user_id, [&](const auth::UserEntry& user) {
        if (!user.disabled) {
            // The current role counts, not the one at login: a demotion takes effect within seconds.
            principal = Principal{user.id, user.role, claims.login_id};
        }
    });
    return principal;
}

std::string AuthService::user_name(std::int64_t id) const
{
    std::string name;
    users_.visit(id, [&name](const auth::UserEntry& entry) { name = entry.name; });
    return name;
}

Outcome<void> AuthService::reload_users()
{
    auto users = user_store_.list_users();
    if (!users) {
        return unavailable(users.error().message);
    }
    users_.replace(*users);
    return {};
}

} // namespace jobsessions::service
