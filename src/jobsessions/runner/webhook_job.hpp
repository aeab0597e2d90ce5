// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/runner/leadership.hpp"
#include "jobsessions/service/change_hub.hpp"
#include "jobsessions/service/webhook_service.hpp"
#include "jobsessions/util/clock.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace jobsessions::runner {

/// Posts one delivery: the URL, the headers (content type and signature) and the body. The server's is
/// http::OutboundClient::post; tests give their own.
using DeliveryPoster = std::function<service::PostOutcome(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body)>;

/// Makes the change feed into deliveries and posts them, on threads of its own; of several servers sharing a
/// database, only on the one that leads. A session write never waits for it: writes only wake it. One thread
/// turns changes into deliveries (in the outbox, with the cursor, in one transaction) and hands the due ones to
/// `senders` threads that post them, so that a slow receiver holds up only the deliveries it is sent.
class WebhookJob {
public:
    WebhookJob(service::WebhookService& webhooks, service::ChangeHub& hub, const util::Clock& clock,
               DeliveryPoster post, const Leadership* leadership, std::size_t senders = 4);
    /// Stops.
    ~WebhookJob();
    WebhookJob(const WebhookJob&) = delete;
    WebhookJob& operator=(const WebhookJob&) = delete;

    /// Starts the threads.
    void start();
    /// Stops them once the posts going on are recorded; deliveries not posted yet stay pending in the outbox.
    void stop();

private:
    void dispatch_loop();
    void send_loop();
    /// Turns what changed into deliveries and queues the due ones; how long to wait before looking again.
    std::chrono::milliseconds pass();
    void send(const service::WebhookService::Due& due);
    /// Wakes the dispatcher for a change, without waiting for it.
    void signal_change();
    /// Gives the calling thread of the job the lowest priority.
    static void run_in_background();
    /// Logs a failure of the job's own work (not of a receiver) at most once a minute.
    void complain(const service::DomainError& error);

    service::WebhookService& webhooks_;
    const util::Clock& clock_;
    DeliveryPoster post_;
    const Leadership* leadership_;
    std::size_t sender_count_;
    service::ChangeHub::Subscription subscription_;

    std::atomic<bool> stop_{false};
    /// Something changed since the last pass began (a session write, a post finished).
    std::atomic<bool> changed_{true};
    /// Held by the dispatcher only to look at stop_ and changed_ and sleep: nothing else waits behind it.
    std::mutex wake_mutex_;
    std::condition_variable wake_dispatcher_;

    std::mutex mutex_; // guards the members below
    std::condition_variable wake_senders_;
    std::deque<service::WebhookService::Due> queue_;
    /// The deliveries queued, being posted, or posted but not yet read again (which the outbox may still list as
    /// due), and their webhooks.
    std::map<std::int64_t, std::string> in_flight_;
    /// Deliveries whose attempts are recorded: they leave in_flight_ once a read of what is due that started after
    /// that is done (a read started before would list them again, and they would be sent twice).
    std::vector<std::int64_t> recorded_;
    /// Webhooks whose receiver failed its last attempt: held back until that delivery's retry, then tried with
    /// one delivery at a time until one is accepted. A receiver that is down is tried once per retry, not once
    /// per delivery waiting for it.
    std::map<std::string, util::Micros> held_;
    /// Webhooks whose receiver accepted the last delivery sent to it: sent as many as are due. Others are sent
    /// one at a time until one is accepted.
    std::set<std::string> up_;
    std::chrono::steady_clock::time_point last_complaint_{};
    std::chrono::steady_clock::time_point next_cleanup_{};

    std::thread dispatcher_;
    std::vector<std::thread> senders_;
};

} // namespace jobsessions::runner
