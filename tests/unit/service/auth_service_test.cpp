// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/auth/password.hpp"
#include "jobsessions/service/auth_service.hpp"
#include "jobsessions/store/store.hpp"

#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <future>

namespace jobsessions::service {
namespace {

class AuthServiceTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auth::init_crypto();
        auto opened = store::open_sqlite_store({dir_.file("db")});
        ASSERT_TRUE(opened);
        store_ = std::move(*opened);
        domain::User user;
        user.name = "Alice";
        user.role = domain::Role::Operator;
        user.password_hash = auth::hash_password("correct horse");
        user.created_at = clock_.now();
        auto created = store_->create_user(user);
        ASSERT_TRUE(created);
        alice_ = *created;
        service_ = std::make_unique<AuthService>(AccountStores{*store_, *store_, *store_}, clock_, users_,
                                                 std::string(32, 's'));
        ASSERT_TRUE(service_->reload_users());
    }

    /// Logs in from `address` and waits for the outcome (the service answers from its hashing pool).
    LoginOutcome attempt(const std::string& name, const std::string& password, const char* address = "192.0.2.1")
    {
        std::promise<LoginOutcome> answered;
        service_->login(LoginAttempt{name, password, boost::asio::ip::make_address(address)},
                        [&](LoginOutcome outcome) { answered.set_value(std::move(outcome)); });
        return answered.get_future().get();
    }

    Outcome<TokenGrant> login(const std::string& name, const std::string& password)
    {
        return attempt(name, password).grant;
    }

    test::TempDir dir_;
    test::FakeClock clock_{1'700'000'000LL * util::kMicrosPerSecond};
    std::unique_ptr<store::Store> store_;
    auth::UserDirectory users_;
    std::unique_ptr<AuthService> service_;
    domain::User alice_;
};

TEST_F(AuthServiceTest, LoginIssuesATokenThatAuthenticates)
{
    auto grant = login("alice", "correct horse"); // user names match without regard to case
    ASSERT_TRUE(grant);
    EXPECT_EQ(grant->username, "Alice");
    EXPECT_EQ(grant->role, domain::Role::Operator);
    EXPECT_EQ(grant->expires - grant->issued, 3600 * util::kMicrosPerSecond);
    const auto principal = service_->authenticate(grant->access_token);
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->user_id, alice_.id);
    EXPECT_EQ(principal->role, domain::Role::Operator);
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownUserGetTheSameAnswer)
{
    const auto wrong = login("Alice", "wrong");
    const auto unknown = login("mallory", "correct horse");
    ASSERT_FALSE(wrong);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(wrong.error().code, DomainErrc::Unauthorized);
    EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(AuthServiceTest, AccessTokenExpiresAfterAnHour)
{
    auto grant = login("Alice", "correct horse");
    ASSERT_TRUE(grant);
    clock_.advance_seconds(3599);
    EXPECT_TRUE(service_->authenticate(grant->access_token));
    clock_.advance_seconds(1);
    EXPECT_FALSE(service_->authenticate(grant->access_token));
}

TEST_F(AuthServiceTest, ATokenIsRefusedBeforeItsNotBeforeTime)
{
    // Signed with the service's key: only its nbf, an hour ahead, is wrong.
    const auth::TokenCodec codec(std::string(32, 's'));
    auth::AccessClaims claims;
    claims.user_id = alice_.id;
    claims.username = "Alice";
    claims.role = domain::Role::Operator;
    claims.login_id = 7;
    claims.issued_at = clock_.now() / util::kMicrosPerSecond;
    claims.expires_at = claims.issued_at + 7200;
    claims.not_before = claims.issued_at + 3600;
    EXPECT_FALSE(service_->authenticate(codec.sign(claims)));
    // Within the minute of leeway for clocks that disagree, and once it has come, it is taken.
    claims.not_before = claims.issued_at + 30;
    EXPECT_TRUE(service_->authenticate(codec.sign(claims)));
    claims.not_before = claims.issued_at + 3600;
    const auto later = codec.sign(claims);
    clock_.advance_seconds(3600);
    EXPECT_TRUE(service_->authenticate(later));
}

TEST_F(AuthServiceTest, RefreshRotatesAndReuseRevokesTheLogin)
{
    auto first = login("Alice", "correct horse");
    ASSERT_TRUE(first);
    auto second = service_->refresh(first->refresh_token);
    ASSERT_TRUE(second);
    EXPECT_NE(second->refresh_token, first->refresh_token);
    // The spent token again: refused, and the whole login goes with it.
    EXPECT_FALSE(service_->refresh(first->refresh_token));
    EXPECT_FALSE(service_->refresh(second->refresh_token));
    // Another login is untouched.
    auto other = login("Alice", "correct horse");
    ASSERT_TRUE(other);
    EXPECT_TRUE(service_->refresh(other->refresh_token));
}

TEST_F(AuthServiceTest, RefreshTokenExpiresAfterFourteenDays)
{
    auto grant = login("Alice", "correct horse");
    ASSERT_TRUE(grant);
    clock_.advance_seconds(14 * 24 * 3600);
    EXPECT_FALSE(service_->refresh(grant->refresh_token));
}

TEST_F(AuthServiceTest, LogoutRevokesTheRefreshToken)
{
    auto grant = login("Alice", "correct horse");
    ASSERT_TRUE(grant);
    const auto principal = service_->authenticate(grant->access_token);
    ASSERT_TRUE(principal);
    ASSERT_TRUE(service_->logout(principal->login_id));
    EXPECT_FALSE(service_->refresh(grant->refresh_token));
}

TEST_F(AuthServiceTest, DisabledUserIsRefusedOnceTheDirectoryReloads)
{
    auto grant = login("Alice", "correct horse");
    ASSERT_TRUE(grant);
    alice_.disabled = true;
    ASSERT_TRUE(store_->update_user(alice_));
    ASSERT_TRUE(service_->reload_users());
    EXPECT_FALSE(service_->authenticate(grant->access_token));
    EXPECT_FALSE(login("Alice", "correct horse"));
    EXPECT_FALSE(service_->refresh(grant->refresh_token));
}

} // namespace
} // namespace jobsessions::service
