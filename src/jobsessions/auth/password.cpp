// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace jobsessions::auth {
namespace {

const std::string& dummy_hash()
{
    static const std::string hash = hash_password("jobsessions dummy password");
    return hash;
}

} // namespace

void init_crypto()
{
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium cannot be initialised");
    }
}

std::string hash_password(std::string_view password)
{
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("out of memory while hashing a password");
    }
    return out;
}

bool verify_password(std::string_view encoded_hash, std::string_view password)
{
    // libsodium wants a NUL-terminated hash.
    const std::string hash(encoded_hash);
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void burn_verify_time(std::string_view password)
{
    (void)verify_password(dummy_hash(), password);
}

} // namespace jobsessions::auth
