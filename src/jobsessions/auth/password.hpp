// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace jobsessions::auth {

/// Initialises libsodium; call before any other function here. Throws when the library cannot start.
void init_crypto();

/// Hashes a password with Argon2id (libsodium's interactive limits) into libsodium's encoded string form, which
/// carries its own salt and parameters. Throws std::runtime_error when memory runs out.
std::string hash_password(std::string_view password);

/// Checks a password against an encoded hash, in constant time for a given hash.
bool verify_password(std::string_view encoded_hash, std::string_view password);

/// Spends the same effort as verify_password on a fixed dummy hash, so that an unknown user name takes as long to
/// refuse as a wrong password.
void burn_verify_time(std::string_view password);

} // namespace jobsessions::auth
