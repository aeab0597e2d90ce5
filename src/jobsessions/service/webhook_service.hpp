// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/webhook.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/session_store.hpp"
#include "jobsessions/store/webhook_store.hpp"
#include "jobsessions/util/clock.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::service {

/// One thing wrong with a webhook's definition: the field (as named in the API) and what is wrong with it.
struct WebhookProblem {
    std::string field;
    std::string message;
};

/// The headers that sign a delivery, as Standard Webhooks names them: `webhook-id`, `webhook-timestamp` (Unix
/// seconds) and `webhook-signature` (`v1,` and the base64 of HMAC-SHA-256 over `id.timestamp.body`, keyed with
/// the secret's decoded bytes).
struct DeliverySignature {
    std::string id;
    std::string timestamp;
    std::string signature;
};

/// Signs `body` for the delivery whose `webhook-id` is `delivery_id` at `unix_seconds` with `secret` (`whsec_…`, as
/// made by new_webhook_secret or checked by WebhookService::problems).
DeliverySignature sign_delivery(std::string_view secret, std::string_view delivery_id, std::int64_t unix_seconds,
                                std::string_view body);

/// A new secret: `whsec_` and the base64 of 32 random bytes.
std::string new_webhook_secret();

/// How deliveries are retried, and whom they may reach.
struct WebhookConfig {
    /// Receivers on loopback, private, link-local and other non-public addresses are allowed.
    bool allow_private = false;
    /// The delay before the first retry; each next one doubles it, up to an hour, each with jitter.
    std::chrono::milliseconds first_retry{10'000};
    /// Failed deliveries are retried for this long after they were made, then given up.
    std::chrono::hours retry_for{24};
};

/// What a try to post a delivery came to.
struct PostOutcome {
    /// The receiver's HTTP status, if it answered.
    std::optional<int> status;
    /// What went wrong, if the receiver did not accept it (empty otherwise).
    std::string error;
    std::chrono::milliseconds took{0};
};

/// The body of a delivery: the event, when it happened and the session as the API shows it.
using PayloadRenderer =
    std::function<std::string(domain::WebhookEvent event, util::Micros time, const domain::JobSession& session)>;

/// The webhook use cases: define webhooks (Administrators), turn the change feed into deliveries in the
/// outbox, and record their attempts. No HTTP and no SQL here. Thread-safe.
class WebhookService {
public:
    WebhookService(store::WebhookStore& store, store::SessionStore& sessions, const util::Clock& clock,
                   PayloadRenderer render, WebhookConfig config);

    /// Everything wrong with a definition; empty when it is valid.
    [[nodiscard]] std::vector<WebhookProblem> problems(const domain::Webhook& webhook) const;

    /// Every webhook, their secrets left out.
    Outcome<std::vector<domain::Webhook>> list();
    /// One webhook, its secret left out.
    Outcome<domain::Webhook> get(const std::string& id);
    /// Stores a new webhook with a new id, and a new secret unless it has one; the answer holds the secret (the
    /// only time it is shown). Invalid (the first problem).
    Outcome<domain::Webhook> create(domain::Webhook webhook);
    /// Replaces the definition of webhook `id`; an empty secret keeps the one it has. Its secret is left out
    /// of the answer unless a new one was given.
    Outcome<domain::Webhook> update(const std::string& id, domain::Webhook webhook);
    /// Deletes a webhook and its deliveries.
    Outcome<void> remove(const std::string& id);
    /// A page of a webhook's deliveries, newest first, with their attempts.
    Outcome<store::DeliveryPage> deliveries(const std::string& id, std::int64_t offset, std::int64_t limit);

    /// Whether any webhook exists, as last seen (the dispatching job skips its work while none does).
    [[nodiscard]] bool any() const noexcept { return any_.load(std::memory_order_relaxed); }
    /// Every webhook with its secret, for the delivering job: read once per pass and given to the steps below.
    Outcome<std::vector<domain::Webhook>> targets();
    /// Turns the next changes of the change feed (at most `max_sessions` sessions) into events, kept once for
    /// every one of `hooks` that wants them: true when there may be more to do at once.
    Outcome<bool> dispatch_changes(const std::vector<domain::Webhook>& hooks, std::int64_t max_sessions);
    /// Makes the events after each webhook's `queued_through` (at most `max_events` per webhook) into its
    /// deliveries, but for webhooks `held` (whose receivers are down: their events wait, kept once, until the
    /// receiver is back): true when there may be more to do at once. Keeps `hooks` as the store now has them.
    Outcome<bool> queue_events(std::vector<domain::Webhook>& hooks, std::int64_t max_events,
                               const std::set<std::string>& held);
    /// A delivery to attempt, with the webhook it goes to.
    struct Due {
        domain::WebhookDelivery delivery;
        domain::Webhook webhook;
    };
    /// The deliveries to attempt now (see WebhookStore::due_deliveries): of each enabled webhook at most
    /// `limit`, or what `limits` gives for it (0: none; for webhooks whose receivers failed lately, which are
    /// held back, then tried with one delivery).
    Outcome<std::vector<Due>> due(const std::vector<domain::Webhook>& hooks, std::int64_t limit,
                                  const std::map<std::string, std::int64_t>& limits);
    /// When a pending delivery of one of `hooks` not `held` is next due; none when none is pending.
    Outcome<std::optional<util::Micros>> next_due(const std::vector<domain::Webhook>& hooks,
                                                  const std::set<std::string>& held);
    /// Records an attempt at `delivery` that started at `started`, and whether it is delivered, given up or tried
    /// again: then when (else none).
    Outcome<std::optional<util::Micros>> attempted(const domain::WebhookDelivery& delivery, util::Micros started,
                                                   const PostOutcome& outcome);
    /// Deletes delivered and given-up deliveries older than `age`; how many went.
    Outcome<std::int64_t> forget_deliveries_older_than(std::chrono::hours age);

private:
    /// The delay before the attempt after `failures` failed ones, jitter included.
    [[nodiscard]] util::Micros retry_delay(std::int64_t failures) const;

    store::WebhookStore& store_;
    store::SessionStore& sessions_;
    const util::Clock& clock_;
    PayloadRenderer render_;
    WebhookConfig config_;
    std::atomic<bool> any_{true};
};

} // namespace jobsessions::service
