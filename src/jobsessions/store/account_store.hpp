// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/user.hpp"
#include "jobsessions/store/store_error.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::store {

/// Failed logins counted under one key.
struct LoginFailures {
    std::int64_t count = 0;
    /// When the last of them happened.
    util::Micros last = 0;
};

/// A stored refresh token (only its hash is kept).
struct RefreshTokenRecord {
    std::string token_hash;
    /// Every token issued by one login shares this id; reuse of a spent token revokes them all.
    std::string login_id;
    std::int64_t user_id = 0;
    util::Micros expires_at = 0;
    util::Micros created_at = 0;
};

/// How a refresh-token rotation ended.
enum class RotationOutcome : std::uint8_t {
    Rotated,
    /// Unknown, expired or revoked token.
    Invalid,
    /// The token had been used before: the whole login was revoked.
    Reused,
};

/// The result of a refresh-token rotation.
struct Rotation {
    RotationOutcome outcome = RotationOutcome::Invalid;
    std::int64_t user_id = 0;
    std::string login_id;
};

/// User accounts.
class UserStore {
public:
    virtual ~UserStore() = default;
    UserStore(const UserStore&) = delete;
    UserStore& operator=(const UserStore&) = delete;

    /// Every user, ordered by id.
    virtual Result<std::vector<domain::User>> list_users() = 0;
    /// A user by name, without regard to case.
    virtual Result<domain::User> find_user(const std::string& name) = 0;
    /// Creates a user; Conflict when the name is taken.
    virtual Result<domain::User> create_user(const domain::User& user) = 0;
    /// Stores a user's role, password hash and disabled flag.
    virtual Result<void> update_user(const domain::User& user) = 0;
    /// Removes a user and its refresh tokens.
    virtual Result<void> remove_user(std::int64_t id) = 0;

protected:
    UserStore() = default;
};

/// Refresh tokens and the secrets tokens are signed with.
class TokenStore {
public:
    virtual ~TokenStore() = default;
    TokenStore(const TokenStore&) = delete;
    TokenStore& operator=(const TokenStore&) = delete;

    /// Stores a new refresh token.
    virtual Result<void> insert_refresh_token(const RefreshTokenRecord& record) = 0;
    /// Spends `token_hash` and stores `next` in its place, atomically; a reused token revokes its login.
    virtual Result<Rotation> rotate_refresh_token(const std::string& token_hash, util::Micros now,
                                                  RefreshTokenRecord next) = 0;
    /// Revokes every refresh token of a login.
    virtual Result<void> revoke_login(const std::string& login_id) = 0;
    /// Revokes every refresh token of a user (a new password or a disabled account ends all its logins).
    virtual Result<void> revoke_user_logins(std::int64_t user_id) = 0;

    /// Returns the named secret, creating it from `make` on first use (shared by every server on the store).
    virtual Result<std::string> get_or_create_secret(const std::string& name,
                                                     const std::function<std::string()>& make) = 0;

protected:
    TokenStore() = default;
};

/// What the login throttle counts: failed logins per key and the addresses users logged in from.
class LoginStore {
public:
    virtual ~LoginStore() = default;
    LoginStore(const LoginStore&) = delete;
    LoginStore& operator=(const LoginStore&) = delete;

    /// The failed logins counted under each key, in order (none: a count of 0).
    virtual Result<std::vector<LoginFailures>> login_failures(const std::vector<std::string>& keys) = 0;
    /// Counts one more failed login at `now` under each key, starting a key over whose last failure came before
    /// `forget_before`; returns the counts now, in order.
    virtual Result<std::vector<LoginFailures>> add_login_failure(const std::vector<std::string>& keys, util::Micros now,
                                                                 util::Micros forget_before) = 0;
    /// A login succeeded: forgets the failures under `failures_key` and records that the login of `address_key`
    /// (a user name from an address) succeeded at `now`.
    virtual Result<void> record_login_success(const std::string& failures_key, const std::string& address_key,
                                              util::Micros now) = 0;
    /// When a login of `address_key` last succeeded; nullopt when never (or too long ago to be kept).
    virtual Result<std::optional<util::Micros>> last_login_success(const std::string& address_key) = 0;

protected:
    LoginStore() = default;
};

} // namespace jobsessions::store
