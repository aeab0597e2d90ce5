// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/auth/password.hpp"
#include "jobsessions/service/webhook_service.hpp"
#include "jobsessions/store/store.hpp"

#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jobsessions::service {
namespace {

using domain::SessionStatus;
using domain::WebhookEvent;

// The test vector of the Standard Webhooks specification: receivers' libraries check signatures the same way.
TEST(DeliverySignature, MatchesTheStandardWebhooksTestVector)
{
    const auto signature = sign_delivery("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                         1614265330, R"({"test": 2432232314})");
    EXPECT_EQ(signature.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
    EXPECT_EQ(signature.timestamp, "1614265330");
    EXPECT_EQ(signature.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(DeliverySignature, NewSecretsAreRandomAndValid)
{
    const auto a = new_webhook_secret();
    const auto b = new_webhook_secret();
    EXPECT_NE(a, b);
    EXPECT_TRUE(a.starts_with("whsec_"));
    EXPECT_EQ(a.size(), 6U + 44U); // base64 of 32 bytes
}

class WebhookServiceTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auth::init_crypto();
        auto opened = store::open_sqlite_store({dir_.file("db")});
        ASSERT_TRUE(opened);
        store_ = std::move(*opened);
        service_ = std::make_unique<WebhookService>(
            *store_, *store_, clock_,
            [](WebhookEvent event, util::Micros, const domain::JobSession& s) {
                return std::string(domain::to_string(event)) + " " + std::to_string(s.id) + " " +
                       std::string(domain::to_string(s.status));
            },
            WebhookConfig{});
        domain::Webhook hook;
        hook.url = "https://hooks.example.com/";
        hook.events = {WebhookEvent::SessionStarted, WebhookEvent::SessionStatusChanged, WebhookEvent::SessionFinished,
                       WebhookEvent::PolicyRunMissed};
        auto created = service_->create(hook);
        ASSERT_TRUE(created);
        hook_id_ = created->id;
    }

    std::int64_t create(SessionStatus status)
    {
        store::NewSession s;
        s.status = status;
        s.start_time = clock_.now();
        if (domain::is_final(status)) {
            s.stop_time = s.start_time;
        }
        return store_->create_session(s, nullptr)->id;
    }

    void set_status(std::int64_t id, SessionStatus status)
    {
        auto session = *store_->get_session(id);
        const auto usn = session.usn;
        session.status = status;
        ASSERT_TRUE(store_->replace_session(session, usn, nullptr));
    }

    /// Dispatches everything, `per_step` sessions (and events) at a time, and queues the deliveries.
    void dispatch(std::int64_t per_step)
    {
        auto hooks = service_->targets();
        ASSERT_TRUE(hooks);
        for (int guard = 0; guard < 100; ++guard) {
            auto more = service_->dispatch_changes(*hooks, per_step);
            ASSERT_TRUE(more);
            if (!*more) {
                break;
            }
        }
        for (int guard = 0; guard < 100; ++guard) {
            auto more = service_->queue_events(*hooks, per_step, {});
            ASSERT_TRUE(more);
            if (!*more) {
                return;
            }
        }
        FAIL() << "dispatching never ended";
    }

    /// The payloads made so far, oldest first.
    std::vector<std::string> payloads()
    {
        auto page = service_->deliveries(hook_id_, 0, 1000);
        std::vector<std::string> out;
        for (auto it = page->deliveries.rbegin(); it != page->deliveries.rend(); ++it) {
            out.push_back(it->payload);
        }
        return out;
    }

    test::TempDir dir_;
    test::FakeClock clock_{1'767'225'600'000'000};
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<WebhookService> service_;
    std::string hook_id_;
};

TEST_F(WebhookServiceTest, EachChangeIsToldOnceWhateverTheStepsSize)
{
    const auto a = create(SessionStatus::Running);
    const auto b = create(SessionStatus::Running);
    set_status(a, SessionStatus::Success); // a's change now comes after b's creation in the feed
    dispatch(1);
    EXPECT_EQ(payloads(), (std::vector<std::string>{"sessionStarted " + std::to_string(b) + " Running",
                                                    "sessionStarted " + std::to_string(a) + " Success",
                                                    "sessionFinished " + std::to_string(a) + " Success"}));
    set_status(b, SessionStatus::RunningWithError);
    set_status(b, SessionStatus::Error);
    const auto c = create(SessionStatus::Canceled);
    dispatch(1);
    dispatch(1000);
    const auto all = payloads();
    ASSERT_EQ(all.size(), 7U);
    EXPECT_EQ(all[3], "sessionStatusChanged " + std::to_string(b) + " Error");
    EXPECT_EQ(all[4], "sessionFinished " + std::to_string(b) + " Error");
    EXPECT_EQ(all[5], "sessionStarted " + std::to_string(c) + " Canceled");
    EXPECT_EQ(all[6], "sessionFinished " + std::to_string(c) + " Canceled");
}

TEST_F(WebhookServiceTest, SessionsThatExistedBeforeTheFirstWebhookAreToldOnlyOfChanges)
{
    ASSERT_TRUE(service_->remove(hook_id_));
    const auto old_running = create(SessionStatus::Running);
    create(SessionStatus::Success);
    domain::Webhook hook;
    hook.url = "https://hooks.example.com/";
    hook.events = {WebhookEvent::SessionStarted, WebhookEvent::SessionFinished};
    hook_id_ = service_->create(hook)->id;
    dispatch(1000);
    EXPECT_TRUE(payloads().empty());
    set_status(old_running, SessionStatus::Warning);
    dispatch(1000);
    EXPECT_EQ(payloads(), std::vector<std::string>{"sessionFinished " + std::to_string(old_running) + " Warning"});
}

TEST_F(WebhookServiceTest, AFailedAttemptIsRetriedLaterAndGivenUpAfterADay)
{
    create(SessionStatus::Success);
    dispatch(1000);
    auto due = service_->due(*service_->targets(), 10, {});
    ASSERT_TRUE(due);
    ASSERT_EQ(due->size(), 1U); // the session's start; its end waits behind it
    const auto first = (*due)[0].delivery;
    EXPECT_EQ(first.event, WebhookEvent::SessionStarted);
    ASSERT_TRUE(service_->attempted(first, clock_.now(), PostOutcome{503, "answered 503", {}}));
    // Neither is due again at once: the start between 5 and 10 s later (the first retry's 10 s, less jitter), and
    // the end with it.
    due = service_->due(*service_->targets(), 10, {});
    EXPECT_TRUE(due->empty());
    const auto next = **service_->next_due(*service_->targets(), {});
    EXPECT_GE(next - clock_.now(), 5 * util::kMicrosPerSecond);
    EXPECT_LE(next - clock_.now(), 10 * util::kMicrosPerSecond);
    // A day after it was made, a failure gives it up.
    clock_.advance_seconds(std::int64_t{24} * 3600);
    auto again = service_->due(*service_->targets(), 10, {});
    ASSERT_FALSE(again->empty());
    auto retried = again->front().delivery;
    ASSERT_EQ(retried.id, first.id);
    ASSERT_TRUE(service_->attempted(retried, clock_.now(), PostOutcome{std::nullopt, "connection refused", {}}));
    const auto page = service_->deliveries(hook_id_, 0, 10);
    const auto given_up =
        std::find_if(page->deliveries.begin(), page->deliveries.end(), [&](const auto& d) { return d.id == first.id; });
    ASSERT_NE(given_up, page->deliveries.end());
    EXPECT_EQ(given_up->state, domain::DeliveryState::Failed);
    EXPECT_EQ(given_up->attempts, 2);
}

// A pass reads the webhooks once. When another server queued their events meanwhile, the stale read makes no
// delivery twice and is brought up to date for the next step.
TEST_F(WebhookServiceTest, QueuingWithAStaleReadOfTheWebhooksMakesNoDeliveryTwice)
{
    const auto a = create(SessionStatus::Success);
    auto stale = service_->targets();
    ASSERT_TRUE(stale);
    dispatch(1000); // another pass (another server's, say) queues a's events
    ASSERT_EQ(payloads().size(), 2U);
    auto more = service_->queue_events(*stale, 1000, {});
    ASSERT_TRUE(more);
    EXPECT_TRUE(*more); // looks again, with the webhooks as they are now
    ASSERT_EQ(stale->size(), 1U);
    EXPECT_EQ(stale->front().queued_through, service_->targets()->front().queued_through);
    more = service_->queue_events(*stale, 1000, {});
    ASSERT_TRUE(more);
    EXPECT_FALSE(*more);
    EXPECT_EQ(payloads(), (std::vector<std::string>{"sessionStarted " + std::to_string(a) + " Success",
                                                    "sessionFinished " + std::to_string(a) + " Success"}));
}

} // namespace
} // namespace jobsessions::service
