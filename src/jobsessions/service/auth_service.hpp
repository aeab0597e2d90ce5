// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/auth/user_directory.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/service/principal.hpp"
#include "jobsessions/store/store.hpp"
#include "jobsessions/util/clock.hpp"

#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>

namespace jobsessions::service {

/// A pair of tokens and who they are for.
struct TokenGrant {
    std::string access_token;
    std::string refresh_token;
    util::Micros issued = 0;
    util::Micros expires = 0;
    std::int64_t user_id = 0;
    std::string username;
    domain::Role role = domain::Role::Viewer;
};

/// Token lifetimes.
struct TokenLifetimes {
    std::int64_t access_seconds = 3600;
    std::int64_t refresh_seconds = std::int64_t{14} * 24 * 3600;
};

/// Logins, refresh-token rotation, logout, and checking access tokens on requests. Thread-safe.
class AuthService {
public:
    /// `signing_key` is the shared HMAC key from the store.
    AuthService(store::Store& store, const util::Clock& clock, auth::UserDirectory& users, std::string_view signing_key,
                TokenLifetimes lifetimes = {});

    /// Checks a user name and password; Unauthorized for an unknown user, a wrong password or a disabled user,
    /// all alike and in about the same time.
    Outcome<TokenGrant> login(std::string_view username, std::string_view password);

    /// Spends a refresh token for a new pair; a token presented twice revokes its whole login.
    Outcome<TokenGrant> refresh(std::string_view refresh_token);

    /// Revokes the refresh tokens of a login.
    Outcome<void> logout(std::uint64_t login_id);

    /// The principal of a valid, unexpired access token of an enabled user; no database access.
    [[nodiscard]] std::optional<Principal> authenticate(std::string_view access_token) const;

    /// Reloads the in-memory user directory from the store.
    Outcome<void> reload_users();

private:
    Outcome<TokenGrant> issue(const auth::UserEntry& user, std::uint64_t login_id, std::string refresh_token,
                              util::Micros now) const;

    store::Store& store_;
    const util::Clock& clock_;
    auth::UserDirectory& users_;
    auth::TokenCodec codec_;
    TokenLifetimes lifetimes_;
    /// Unique per service, so a thread's cache of checked tokens never serves another service.
    std::uint64_t id_;
    /// Argon2id takes 64 MiB per hash: bound how many run at once.
    std::unique_ptr<std::counting_semaphore<>> hashing_slots_;
};

/// SHA-256 of a refresh token, as stored.
std::string hash_refresh_token(std::string_view token);

} // namespace jobsessions::service
