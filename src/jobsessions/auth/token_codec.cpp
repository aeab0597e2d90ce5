// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/auth/token_codec.hpp"

#include "jobsessions/util/strings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <stdexcept>

namespace jobsessions::auth {
namespace {

// base64url of {"alg":"HS256","typ":"JWT"}: the only header we issue, so the only one we accept.
constexpr std::string_view kHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

} // namespace

std::string base64url_encode(std::string_view bytes)
{
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      kVariant);
    out.resize(out.size() - 1); // drop the terminating NUL
    return out;
}

namespace {

std::optional<std::string> base64_decode_variant(std::string_view text, int variant)
{
    std::string out(text.size() * 3 / 4 + 3, '\0');
    std::size_t size = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &size, &end, variant) != 0 ||
        end != text.data() + text.size()) {
        return std::nullopt;
    }
    out.resize(size);
    return out;
}

} // namespace

std::optional<std::string> base64url_decode(std::string_view text)
{
    return base64_decode_variant(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> base64_decode(std::string_view text)
{
    return base64_decode_variant(text, sodium_base64_VARIANT_ORIGINAL);
}

std::string base64_encode(std::string_view bytes)
{
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1); // the terminating NUL
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view message)
{
    crypto_auth_hmacsha256_state state{};
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
    return mac;
}

std::string sha256(std::string_view bytes)
{
    std::string digest(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return digest;
}

std::string random_bytes(std::size_t n)
{
    std::string out(n, '\0');
    randombytes_buf(out.data(), n);
    return out;
}

std::string random_uuid()
{
    auto bytes = random_bytes(16);
    bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0FU) | 0x40U);
    bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3FU) | 0x80U);
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        const auto byte = static_cast<unsigned char>(bytes[i]);
        out += kHex[byte >> 4U];
        out += kHex[byte & 0x0FU];
    }
    return out;
}

TokenCodec::TokenCodec(std::string_view key)
    : keyed_{}
{
    if (key.size() < 32) {
        throw std::invalid_argument("the token signing key is shorter than 32 bytes");
    }
    crypto_auth_hmacsha256_init(&keyed_, reinterpret_cast<const unsigned char*>(key.data()), key.size());
}

void TokenCodec::mac(std::string_view signing_input, unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) const
{
    crypto_auth_hmacsha256_state state = keyed_;
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size());
    crypto_auth_hmacsha256_final(&state, out);
}

std::string TokenCodec::sign(const AccessClaims& claims) const
{
    boost::json::object payload;
    payload["sub"] = std::to_string(claims.user_id);
    payload["unique_name"] = claims.username;
    payload["role"] = std::string(domain::to_string(claims.role));
    payload["sid"] = std::to_string(claims.login_id);
    payload["iat"] = claims.issued_at;
    payload["nbf"] = claims.not_before;
    payload["exp"] = claims.expires_at;
    std::string token(kHeader);
    token.push_back('.');
    token += base64url_encode(boost::json::serialize(payload));
    unsigned char signature[crypto_auth_hmacsha256_BYTES];
    mac(token, signature);
    token.push_back('.');
    token += base64url_encode({reinterpret_cast<const char*>(signature), sizeof signature});
    return token;
}

std::optional<AccessClaims> TokenCodec::verify(std::string_view token) const
{
    const auto first_dot = token.find('.');
    const auto last_dot = token.rfind('.');
    if (first_dot == std::string_view::npos || first_dot == last_dot || token.substr(0, first_dot) != kHeader) {
        return std::nullopt;
    }
    const auto signature = base64url_decode(token.substr(last_dot + 1));
    if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES) {
        return std::nullopt;
    }
    unsigned char expected[crypto_auth_hmacsha256_BYTES];
    mac(token.substr(0, last_dot), expected);
    if (sodium_memcmp(expected, signature->data(), sizeof expected) != 0) {
        return std::nullopt;
    }
    const auto payload_text = base64url_decode(token.substr(first_dot + 1, last_dot - first_dot - 1));
    if (!payload_text) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    const auto payload = boost::json::parse(*payload_text, ec);
    if (ec || !payload.is_object()) {
        return std::nullopt;
    }
    const auto& object = payload.get_object();
    const auto* sub = object.if_contains("sub");
    const auto* name = object.if_contains("unique_name");
    const auto* role = object.if_contains("role");
    const auto* sid = object.if_contains("sid");
    const auto* iat = object.if_contains("iat");
    const auto* nbf = object.if_contains("nbf");
    const auto* exp = object.if_contains("exp");
    if (sub == nullptr || !sub->is_string() || name == nullptr || !name->is_string() || role == nullptr ||
        !role->is_string() || sid == nullptr || !sid->is_string() || iat == nullptr || !iat->is_int64() ||
        nbf == nullptr || !nbf->is_int64() || exp == nullptr || !exp->is_int64()) {
        return std::nullopt;
    }
    AccessClaims claims;
    const auto user_id = util::parse_int64(sub->get_string());
    const auto parsed_role = domain::parse_role(role->get_string());
    if (!user_id || !parsed_role) {
        return std::nullopt;
    }
    claims.user_id = *user_id;
    claims.username = std::string(name->get_string());
    claims.role = *parsed_role;
    const std::string_view sid_text = sid->get_string();
    const auto [end, sid_ec] = std::from_chars(sid_text.data(), sid_text.data() + sid_text.size(), claims.login_id);
    if (sid_text.empty() || sid_ec != std::errc{} || end != sid_text.data() + sid_text.size()) {
        return std::nullopt;
    }
    claims.issued_at = iat->get_int64();
    claims.not_before = nbf->get_int64();
    claims.expires_at = exp->get_int64();
    return claims;
}

} // namespace jobsessions::auth
