// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/auth/token_codec.hpp"

#include <gtest/gtest.h>

namespace jobsessions::auth {
namespace {

const std::string kKey(32, 'k');

AccessClaims claims()
{
    AccessClaims c;
    c.user_id = 7;
    c.username = "ops";
    c.role = domain::Role::Operator;
    c.login_id = 18'000'000'000'000'000'001ULL;
    c.issued_at = 1'700'000'000;
    c.expires_at = 1'700'003'600;
    return c;
}

TEST(TokenCodec, SignedTokenVerifiesToItsClaims)
{
    TokenCodec codec(kKey);
    const auto token = codec.sign(claims());
    const auto verified = codec.verify(token);
    ASSERT_TRUE(verified);
    EXPECT_EQ(verified->user_id, 7);
    EXPECT_EQ(verified->username, "ops");
    EXPECT_EQ(verified->role, domain::Role::Operator);
    EXPECT_EQ(verified->login_id, 18'000'000'000'000'000'001ULL);
    EXPECT_EQ(verified->expires_at, 1'700'003'600);
}

TEST(TokenCodec, TamperedOrForeignTokensAreRefused)
{
    TokenCodec codec(kKey);
    const auto token = codec.sign(claims());
    auto tampered = token;
    tampered[tampered.find('.') + 5] ^= 1;
    EXPECT_FALSE(codec.verify(tampered));
    EXPECT_FALSE(TokenCodec(std::string(32, 'x')).verify(token));
    EXPECT_FALSE(codec.verify(""));
    EXPECT_FALSE(codec.verify("a.b.c"));
    EXPECT_FALSE(codec.verify(token.substr(0, token.rfind('.'))));
    // alg=none with the same payload
    const auto payload = token.substr(token.find('.'), token.rfind('.') - token.find('.'));
    EXPECT_FALSE(codec.verify(base64url_encode(R"({"alg":"none","typ":"JWT"})") + payload + "."));
}

TEST(TokenCodec, ShortKeysAreRefused)
{
    EXPECT_THROW(TokenCodec(std::string(31, 'k')), std::invalid_argument);
}

TEST(Base64Url, RoundTripsAndRefusesOtherAlphabets)
{
    const std::string bytes("\x00\xff\xfe-_+/", 7);
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    EXPECT_FALSE(base64url_decode("ab+/"));
    EXPECT_FALSE(base64url_decode("ab=="));
}

} // namespace
} // namespace jobsessions::auth
