// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/user.hpp"
#include "jobsessions/util/time.hpp"

#include <sodium.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::auth {

/// What an access token says.
struct AccessClaims {
    std::int64_t user_id = 0;
    std::string username;
    domain::Role role = domain::Role::Viewer;
    /// The login (refresh-token family) the token belongs to.
    std::uint64_t login_id = 0;
    /// Seconds since the Unix epoch.
    std::int64_t issued_at = 0;
    /// Not valid before this (`nbf`); the issue time for the tokens the server signs.
    std::int64_t not_before = 0;
    std::int64_t expires_at = 0;
};

/// Signs and checks access tokens: JWTs with HMAC-SHA-256 (HS256). The key lives in the store, so every server
/// on one database accepts every other's tokens. Thread-safe after construction.
class TokenCodec {
public:
    /// `key` must hold at least 32 bytes.
    explicit TokenCodec(std::string_view key);

    /// The compact JWT for `claims`.
    [[nodiscard]] std::string sign(const AccessClaims& claims) const;

    /// The claims of a token whose signature and form are right; expiry is the caller's to check.
    [[nodiscard]] std::optional<AccessClaims> verify(std::string_view token) const;

private:
    void mac(std::string_view signing_input, unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) const;

    /// The HMAC state after absorbing the key, copied for each token instead of re-deriving it.
    crypto_auth_hmacsha256_state keyed_;
};

/// URL-safe base64 without padding.
std::string base64url_encode(std::string_view bytes);
/// Decodes URL-safe base64 without padding; nullopt on any invalid character.
std::optional<std::string> base64url_decode(std::string_view text);
/// Decodes standard base64 with padding (an Authorization: Basic header's); nullopt when it is not that.
std::optional<std::string> base64_decode(std::string_view text);
/// The raw 32-byte SHA-256 digest of `bytes`.
std::string sha256(std::string_view bytes);
/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);
/// HMAC-SHA-256 of `message` under `key` (any length), as 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view message);
/// `n` random bytes from the system's CSPRNG.
std::string random_bytes(std::size_t n);
/// A random (version 4) UUID in its lower-case text form.
std::string random_uuid();

} // namespace jobsessions::auth
