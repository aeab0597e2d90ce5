// SPDX-License-Identifier: Apache-2.0
// The delivering job with a poster of the test's own: how many deliveries a receiver is sent at once.
#include "jobsessions/auth/password.hpp"
#include "jobsessions/runner/webhook_job.hpp"
#include "jobsessions/store/store.hpp"

#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace jobsessions::runner {
namespace {

using domain::SessionStatus;
using domain::WebhookEvent;

/// Records each post and whether the clock had been moved on when it came; the first post answers only once
/// released.
class Poster {
public:
    service::PostOutcome post(const std::string& body)
    {
        std::unique_lock lock(mutex_);
        calls_.push_back({body, advanced_});
        changed_.notify_all();
        if (calls_.size() == 1) {
            changed_.wait(lock, [this] { return released_; });
        }
        return {503, "answered 503", {}};
    }
    void release()
    {
        const std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }
    void advanced()
    {
        const std::lock_guard lock(mutex_);
        advanced_ = true;
    }
    /// Waits (at most 30 s) until `count` posts came; whether they did.
    bool wait_for_calls(std::size_t count)
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return calls_.size() >= count; });
    }
    struct Call {
        std::string body;
        bool after_advance;
    };
    std::vector<Call> calls()
    {
        const std::lock_guard lock(mutex_);
        return calls_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Call> calls_;
    bool released_ = false;
    bool advanced_ = false;
};

TEST(WebhookJob, AReceiverNotKnownToBeUpIsSentOneDeliveryAtATime)
{
    auth::init_crypto();
    test::TempDir dir;
    auto opened = store::open_sqlite_store({dir.file("db")});
    ASSERT_TRUE(opened);
    auto store = std::move(*opened);
    test::FakeClock clock{1'767'225'600'000'000};
    service::WebhookService webhooks(
        *store, *store, clock,
        [](WebhookEvent event, util::Micros, const domain::JobSession& s) {
            return std::string(domain::to_string(event)) + " " + std::to_string(s.id);
        },
        service::WebhookConfig{});
    domain::Webhook hook;
    hook.url = "https://hooks.example.com/";
    hook.events = {WebhookEvent::SessionFinished};
    const auto hook_id = webhooks.create(hook)->id;
    service::ChangeHub hub;
    Poster poster;
    WebhookJob job(
        webhooks, hub, clock,
        [&poster](const std::string&, const std::vector<std::pair<std::string, std::string>>&,
                  const std::string& body) { return poster.post(body); },
        nullptr, 4);
    // Destroyed before the job: a post still hanging when an assertion fails must end for the job to stop.
    struct ReleaseAtExit {
        Poster& poster;
        ~ReleaseAtExit() { poster.release(); }
    } release_at_exit{poster};
    job.start();

    // Four sessions end while the first delivery's post hangs: the other three are queued, not sent.
    for (int i = 0; i < 4; ++i) {
        store::NewSession s;
        s.status = SessionStatus::Success;
        s.start_time = clock.now();
        s.stop_time = s.start_time;
        hub.changed(store->create_session(s, nullptr)->id);
        if (i == 0) {
            ASSERT_TRUE(poster.wait_for_calls(1));
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (webhooks.deliveries(hook_id, 0, 10)->total_count < 4) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the deliveries were never queued";
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // It fails: the webhook is held back until its retry, 5 to 10 s on, then sent one delivery.
    poster.release();
    while (webhooks.deliveries(hook_id, 0, 10)->deliveries.back().attempts == 0) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the failed attempt was never recorded";
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    poster.advanced();
    clock.advance_seconds(11);
    hub.changed(0);
    ASSERT_TRUE(poster.wait_for_calls(2));
    const auto calls = poster.calls();
    EXPECT_FALSE(calls[0].after_advance);
    EXPECT_TRUE(calls[1].after_advance) << "a second delivery was sent before the first one's retry";
    job.stop();
}

} // namespace
} // namespace jobsessions::runner
