// SPDX-License-Identifier: Apache-2.0
// The rules of the login throttle, on a real store, at any time the fake clock says.
#include "jobsessions/service/login_throttle.hpp"
#include "jobsessions/store/store.hpp"

#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jobsessions::service {
namespace {

using boost::asio::ip::make_address;

class LoginThrottleTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = store::open_sqlite_store({dir_.file("db")});
        ASSERT_TRUE(opened);
        store_ = std::move(*opened);
        throttle_ = std::make_unique<LoginThrottle>(*store_, clock_, LoginThrottleConfig{});
    }

    /// Seconds from now until `user` may try from `address` again (0: now).
    std::int64_t wait(const std::string& user, const char* address)
    {
        auto until = throttle_->wait_until(user, make_address(address));
        EXPECT_TRUE(until);
        return until && *until ? (**until - clock_.now()) / util::kMicrosPerSecond : 0;
    }

    /// A failed attempt; returns how many seconds its answer is held back.
    std::int64_t fail(const std::string& user, const char* address)
    {
        auto held = throttle_->failed(user, make_address(address));
        EXPECT_TRUE(held);
        return held ? (*held - clock_.now()) / util::kMicrosPerSecond : -1;
    }

    test::TempDir dir_;
    test::FakeClock clock_{1'700'000'000LL * util::kMicrosPerSecond};
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<LoginThrottle> throttle_;
};

TEST_F(LoginThrottleTest, AfterThreeFailuresEachAttemptWaitsTwiceAsLongUpToFifteenMinutes)
{
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(fail("alice", "192.0.2.1"), 0);
        EXPECT_EQ(wait("alice", "192.0.2.1"), 0);
    }
    // 1, 2, 4, ... seconds; the answer itself is held 2 s at most, the wait goes on.
    for (const std::int64_t expected : {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900}) {
        EXPECT_EQ(fail("alice", "192.0.2.1"), std::min<std::int64_t>(expected, 2));
        EXPECT_EQ(wait("alice", "192.0.2.1"), expected);
        clock_.advance_seconds(expected);
        EXPECT_EQ(wait("alice", "192.0.2.1"), 0);
    }
}

TEST_F(LoginThrottleTest, AUserIsNotHeldBackByFailuresFromElsewhere)
{
    for (int i = 0; i < 10; ++i) {
        fail("alice", "192.0.2.1");
    }
    EXPECT_GT(wait("alice", "192.0.2.1"), 0);
    EXPECT_EQ(wait("alice", "198.51.100.7"), 0);
    EXPECT_EQ(wait("bob", "192.0.2.1"), 0);
}

TEST_F(LoginThrottleTest, AnAddressTryingManyNamesIsHeldBackForEveryName)
{
    for (int i = 0; i < 20; ++i) {
        fail("user" + std::to_string(i), "192.0.2.1");
    }
    EXPECT_EQ(wait("someone-new", "192.0.2.1"), 0);
    fail("user-20", "192.0.2.1");
    EXPECT_EQ(wait("someone-new", "192.0.2.1"), 1);
    EXPECT_EQ(wait("someone-new", "192.0.2.2"), 0);
}

TEST_F(LoginThrottleTest, GuessesFromManyAddressesHoldBackOnlyAddressesTheUserNeverLoggedInFrom)
{
    ASSERT_TRUE(throttle_->succeeded("Alice", make_address("203.0.113.5"))); // her office
    for (int i = 0; i < 51; ++i) {
        fail("alice", ("10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1)).c_str());
    }
    EXPECT_EQ(wait("alice", "10.9.9.9"), 1);    // a new address waits
    EXPECT_EQ(wait("ALICE", "203.0.113.5"), 0); // hers does not: no lockout from elsewhere
    // Her own mistakes count at her address alone.
    for (int i = 0; i < 4; ++i) {
        fail("alice", "203.0.113.5");
    }
    EXPECT_EQ(wait("alice", "203.0.113.5"), 1);
}

TEST_F(LoginThrottleTest, ASuccessForgetsTheFailuresOfThatUserFromThatAddress)
{
    for (int i = 0; i < 5; ++i) {
        fail("alice", "192.0.2.1");
    }
    clock_.advance_seconds(2);
    ASSERT_TRUE(throttle_->succeeded("alice", make_address("192.0.2.1")));
    EXPECT_EQ(wait("alice", "192.0.2.1"), 0);
    EXPECT_EQ(fail("alice", "192.0.2.1"), 0); // counting starts over
}

TEST_F(LoginThrottleTest, FailuresAreForgottenAnHourAfterTheLast)
{
    for (int i = 0; i < 8; ++i) {
        fail("alice", "192.0.2.1");
    }
    clock_.advance_seconds(3601);
    EXPECT_EQ(wait("alice", "192.0.2.1"), 0);
    EXPECT_EQ(fail("alice", "192.0.2.1"), 0);
}

TEST_F(LoginThrottleTest, AnIpv6ClientCountsByItsSlash64AndMappedIpv4AsIpv4)
{
    EXPECT_EQ(throttle_address(make_address("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
    EXPECT_EQ(throttle_address(make_address("::ffff:192.0.2.1")), "192.0.2.1");
    for (int i = 0; i < 4; ++i) {
        fail("alice", ("2001:db8:1:2::" + std::to_string(i + 1)).c_str());
    }
    EXPECT_EQ(wait("alice", "2001:db8:1:2:ffff::9"), 1);
    EXPECT_EQ(wait("alice", "2001:db8:1:3::1"), 0);
}

TEST_F(LoginThrottleTest, TheCountsOutliveTheServerInTheStore)
{
    for (int i = 0; i < 6; ++i) {
        fail("alice", "192.0.2.1");
    }
    throttle_.reset();
    store_.reset();
    auto reopened = store::open_sqlite_store({dir_.file("db")});
    ASSERT_TRUE(reopened);
    store_ = std::move(*reopened);
    throttle_ = std::make_unique<LoginThrottle>(*store_, clock_, LoginThrottleConfig{});
    EXPECT_EQ(wait("alice", "192.0.2.1"), 4); // the sixth failure: 1, 2, 4 s after the three free ones
}

TEST_F(LoginThrottleTest, NamesInTheLogCannotForgeALine)
{
    EXPECT_EQ(loggable_name("alice"), "alice");
    EXPECT_EQ(loggable_name("a'\n2026-12-04T00:00:00Z warning login"), "a??2026-12-04T00:00:00Z warning login");
    EXPECT_EQ(loggable_name(std::string(100, 'x')), std::string(64, 'x') + "...");
}

} // namespace
} // namespace jobsessions::service
