// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/webhook_service.hpp"

#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/util/ip_address.hpp"
#include "jobsessions/util/strings.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

namespace jobsessions::service {
namespace {

using domain::Webhook;

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::size_t kMinSecretBytes = 24;
constexpr std::size_t kMaxSecretBytes = 64;
constexpr std::size_t kMaxPolicyId = 100;
constexpr auto kLongestRetryDelay = std::chrono::hours(1);

DomainError not_found(const std::string& id)
{
    return {DomainErrc::NotFound, {}, "Webhook '" + id + "' was not found."};
}

DomainError from_store(const store::StoreError& error, const std::string& id)
{
    switch (error.code) {
    case store::StoreErrc::NotFound:
        return not_found(id);
    case store::StoreErrc::Corrupt:
        return {DomainErrc::Internal, {}, {}, error.message};
    default:
        return {DomainErrc::Unavailable, {}, "The webhook store is unavailable.", error.message};
    }
}

/// The signing key of a secret: the bytes its base64 stands for; nullopt when it is not `whsec_` and base64.
std::optional<std::string> secret_key(std::string_view secret)
{
    if (!secret.starts_with(kSecretPrefix)) {
        return std::nullopt;
    }
    return auth::base64_decode(secret.substr(kSecretPrefix.size()));
}

std::optional<WebhookProblem> url_problem(const std::string& text, bool allow_private)
{
    const auto fail = [](std::string message) { return WebhookProblem{"url", std::move(message)}; };
    if (text.empty()) {
        return fail("Is required: the http or https URL the events are posted to.");
    }
    if (text.size() > domain::kMaxWebhookUrl) {
        return fail("Must be at most " + std::to_string(domain::kMaxWebhookUrl) + " characters.");
    }
    const auto url = boost::urls::parse_absolute_uri(text);
    if (!url) {
        return fail("Is not an absolute URL.");
    }
    if (!util::iequals(url->scheme(), "https") && !util::iequals(url->scheme(), "http")) {
        return fail("Must be an http or https URL.");
    }
    if (!url->has_authority() || url->encoded_host().empty()) {
        return fail("Must name a host.");
    }
    if (url->has_userinfo()) {
        return fail("Must not hold a user name or password: the signature tells the receiver who posts.");
    }
    const auto host = url->host_type();
    if (host == boost::urls::host_type::ipv4 || host == boost::urls::host_type::ipv6) {
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(url->host_address(), ec);
        if (ec) {
            return fail("Names an address that cannot be read.");
        }
        if (const auto reason = util::non_public_reason(address); reason && !allow_private) {
            return fail("Points to a " + *reason +
                        " address, which this server does not post to unless it runs "
                        "with --webhooks-allow-private.");
        }
    }
    return std::nullopt;
}

} // namespace

DeliverySignature sign_delivery(std::string_view secret, std::string_view delivery_id, std::int64_t unix_seconds,
                                std::string_view body)
{
    DeliverySignature signature;
    signature.id = std::string(delivery_id);
    signature.timestamp = std::to_string(unix_seconds);
    std::string signed_content;
    signed_content.reserve(signature.id.size() + signature.timestamp.size() + body.size() + 2);
    signed_content.append(signature.id).append(".").append(signature.timestamp).append(".").append(body);
    const auto key = secret_key(secret).value_or(std::string(secret));
    signature.signature = "v1," + auth::base64_encode(auth::hmac_sha256(key, signed_content));
    return signature;
}

std::string new_webhook_secret()
{
    return std::string(kSecretPrefix) + auth::base64_encode(auth::random_bytes(32));
}

WebhookService::WebhookService(store::WebhookStore& store, store::SessionStore& sessions, const util::Clock& clock,
                               PayloadRenderer render, WebhookConfig config)
    : store_(store)
    , sessions_(sessions)
    , clock_(clock)
    , render_(std::move(render))
    , config_(config)
{
}

std::vector<WebhookProblem> WebhookService::problems(const Webhook& webhook) const
{
    std::vector<WebhookProblem> problems;
    if (auto problem = url_problem(webhook.url, config_.allow_private)) {
        problems.push_back(std::move(*problem));
    }
    if (webhook.events.empty()) {
        problems.push_back({"events", "Name at least one of " + domain::webhook_event_names() + "."});
    }
    if (webhook.description.size() > domain::kMaxWebhookDescription) {
        problems.push_back(
            {"description", "Must be at most " + std::to_string(domain::kMaxWebhookDescription) + " characters."});
    }
    if (webhook.policy_ids.size() > domain::kMaxWebhookPolicies) {
        problems.push_back({"policyIds", "Name at most " + std::to_string(domain::kMaxWebhookPolicies) + " policies."});
    }
    for (const auto& id : webhook.policy_ids) {
        if (id.empty() || id.size() > kMaxPolicyId) {
            problems.push_back({"policyIds", "A policy id has 1 to " + std::to_string(kMaxPolicyId) + " characters."});
            break;
        }
    }
    if (!webhook.secret.empty()) {
        const auto key = secret_key(webhook.secret);
        if (!key || key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
            problems.push_back({"secret", "Must be whsec_ and the base64 of " + std::to_string(kMinSecretBytes) +
                                              " to " + std::to_string(kMaxSecretBytes) +
                                              " random bytes; leave it out and the server makes one."});
        }
    }
    return problems;
}

Outcome<std::vector<Webhook>> WebhookService::list()
{
    auto hooks = store_.list_webhooks();
    if (!hooks) {
        return from_store(hooks.error(), {});
    }
    any_.store(!hooks->empty(), std::memory_order_relaxed);
    for (auto& hook : *hooks) {
        hook.secret.clear();
    }
    return std::move(*hooks);
}

Outcome<Webhook> WebhookService::get(const std::string& id)
{
    auto hook = store_.get_webhook(id);
    if (!hook) {
        return from_store(hook.error(), id);
    }
    hook->secret.clear();
    return std::move(*hook);
}

Outcome<Webhook> WebhookService::create(Webhook webhook)
{
    if (const auto found = problems(webhook); !found.empty()) {
        return DomainError{DomainErrc::Invalid, found.front().field, found.front().message};
    }
    webhook.id = auth::random_uuid();
    webhook.created_at = clock_.now();
    if (webhook.secret.empty()) {
        webhook.secret = new_webhook_secret();
    }
    auto created = store_.create_webhook(webhook);
    if (!created) {
        return from_store(created.error(), webhook.id);
    }
    any_.store(true, std::memory_order_relaxed);
    return std::move(*created);
}

Outcome<Webhook> WebhookService::update(const std::string& id, Webhook webhook)
{
    if (const auto found = problems(webhook); !found.empty()) {
        return DomainError{DomainErrc::Invalid, found.front().field, found.front().message};
    }
    auto current = store_.get_webhook(id);
    if (!current) {
        return from_store(current.error(), id);
    }
    const bool new_secret = !webhook.secret.empty();
    webhook.id = id;
    webhook.created_at = current->created_at;
    if (!new_secret) {
        webhook.secret = current->secret;
    }
    auto updated = store_.update_webhook(webhook);
    if (!updated) {
        return from_store(updated.error(), id);
    }
    if (!new_secret) {
        updated->secret.clear();
    }
    return std::move(*updated);
}

Outcome<void> WebhookService::remove(const std::string& id)
{
    if (auto removed = store_.delete_webhook(id); !removed) {
        return from_store(removed.error(), id);
    }
    return {};
}

Outcome<store::DeliveryPage> WebhookService::deliveries(const std::string& id, std::int64_t offset, std::int64_t limit)
{
    auto page = store_.list_deliveries(id, offset, limit);
    if (!page) {
        return from_store(page.error(), id);
    }
    return std::move(*page);
}

Outcome<std::vector<domain::Webhook>> WebhookService::targets()
{
    auto hooks = store_.list_webhooks();
    if (!hooks) {
        return from_store(hooks.error(), {});
    }
    any_.store(!hooks->empty(), std::memory_order_relaxed);
    return std::move(*hooks);
}

Outcome<bool> WebhookService::dispatch_changes(const std::vector<domain::Webhook>& hooks, std::int64_t max_sessions)
{
    auto cursor = store_.webhook_cursor();
    if (!cursor) {
        return from_store(cursor.error(), {});
    }
    if (!*cursor) {
        any_.store(false, std::memory_order_relaxed);
        return false;
    }
    any_.store(true, std::memory_order_relaxed);
    const auto from = **cursor;
    auto changed = sessions_.changed_sessions(from.after_usn, max_sessions, std::nullopt);
    if (!changed) {
        return from_store(changed.error(), {});
    }
    if (changed->empty()) {
        return false;
    }
    std::vector<std::int64_t> ids;
    ids.reserve(changed->size());
    for (const auto& session : *changed) {
        ids.push_back(session.id);
    }
    auto watched_rows = store_.watched_sessions(ids);
    if (!watched_rows) {
        return from_store(watched_rows.error(), {});
    }
    const std::unordered_map<std::int64_t, domain::SessionStatus> watched(watched_rows->begin(), watched_rows->end());

    // Every session with an id up to the highest one read has been seen once the feed is read to its end (ids are
    // given in commit order). A step cut short by `max_sessions` may have left a session of a lower id for later
    // (created, then changed again after where the step stopped): it moves the seen id only when there is none,
    // and else remembers the new sessions it saw.
    const bool cut_short = static_cast<std::int64_t>(changed->size()) >= max_sessions;
    store::WebhookDispatch step;
    step.from = from;
    step.to = from;
    step.to.after_usn = changed->back().usn;
    std::int64_t highest_id = from.seen_session_id;
    for (const auto& session : *changed) {
        highest_id = std::max(highest_id, session.id);
    }
    if (!cut_short) {
        step.to.seen_session_id = highest_id;
    } else if (highest_id > from.seen_session_id) {
        auto unseen = store_.unseen_session_between(from.seen_session_id, highest_id, step.to.after_usn);
        if (!unseen) {
            return from_store(unseen.error(), {});
        }
        if (!*unseen) {
            step.to.seen_session_id = highest_id;
        }
    }
    const auto now = clock_.now();
    for (const auto& session : *changed) {
        std::optional<domain::SessionStatus> before;
        if (const auto it = watched.find(session.id); it != watched.end()) {
            before = it->second;
        } else if (session.id <= from.seen_session_id) {
            continue; // seen final before, or final when the first webhook was made: nothing to tell
        }
        const auto subject = domain::subject_of(session);
        for (const auto event : domain::session_events(before, session)) {
            // Kept once if any webhook wants it; each webhook makes it a delivery of its own (queue_events).
            if (std::any_of(hooks.begin(), hooks.end(),
                            [&](const Webhook& hook) { return domain::wants(hook, event, subject); })) {
                step.events.push_back({0, session.id, event, subject, render_(event, now, session), now});
            }
        }
        // A final session at or below the new seen id is forgotten with the step (its watch row too, if any).
        const bool remember = before || !domain::is_final(session.status) || session.id > step.to.seen_session_id;
        if (remember && before != session.status) {
            step.watched.emplace_back(session.id, session.status);
        }
    }
    auto recorded = store_.record_webhook_dispatch(step);
    if (!recorded) {
        return from_store(recorded.error(), {});
    }
    // Not recorded: another server moved the cursor (or the last webhook went); look again.
    return !*recorded || cut_short;
}

Outcome<bool> WebhookService::queue_events(std::vector<domain::Webhook>& hooks, std::int64_t max_events,
                                           const std::set<std::string>& held)
{
    bool more = false;
    bool stale = false;
    // Webhooks queued through the same event (all of them, mostly) read what follows it once.
    std::map<std::int64_t, std::vector<domain::WebhookEventRecord>> read;
    for (auto& hook : hooks) {
        if (held.contains(hook.id)) {
            continue;
        }
        auto found = read.find(hook.queued_through);
        if (found == read.end()) {
            auto events_after = store_.events_after(hook.queued_through, max_events);
            if (!events_after) {
                return from_store(events_after.error(), hook.id);
            }
            found = read.emplace(hook.queued_through, std::move(*events_after)).first;
        }
        const auto* events = &found->second;
        if (events->empty()) {
            continue;
        }
        std::vector<store::QueuedEvent> wanted; // none for a disabled webhook, which passes over them
        for (const auto& event : *events) {
            if (domain::wants(hook, event.event, event.subject)) {
                wanted.push_back({event.id, event.session_id});
            }
        }
        const auto through = events->back().id;
        const bool full = static_cast<std::int64_t>(events->size()) >= max_events;
        auto queued = store_.queue_deliveries(hook.id, hook.queued_through, through, wanted, clock_.now());
        if (!queued) {
            return from_store(queued.error(), hook.id);
        }
        if (*queued) {
            hook.queued_through = through;
        }
        // Not queued: another server queued them meanwhile (or the webhook went): look again.
        stale = stale || !*queued;
        more = more || !*queued || full;
    }
    if (stale) {
        auto fresh = targets();
        if (!fresh) {
            return fresh.error();
        }
        hooks = std::move(*fresh);
    }
    return more;
}

Outcome<std::vector<WebhookService::Due>> WebhookService::due(const std::vector<domain::Webhook>& hooks,
                                                              std::int64_t limit,
                                                              const std::map<std::string, std::int64_t>& limits)
{
    const auto now = clock_.now();
    std::vector<Due> due;
    for (const auto& hook : hooks) {
        const auto special = limits.find(hook.id);
        const auto most = special == limits.end() ? limit : special->second;
        if (!hook.enabled || most <= 0) {
            continue;
        }
        auto deliveries = store_.due_deliveries(hook.id, now, most);
        if (!deliveries) {
            return from_store(deliveries.error(), hook.id);
        }
        for (auto& delivery : *deliveries) {
            due.push_back({std::move(delivery), hook});
        }
    }
    return due;
}

Outcome<std::optional<util::Micros>> WebhookService::next_due(const std::vector<domain::Webhook>& hooks,
                                                              const std::set<std::string>& held)
{
    std::optional<util::Micros> earliest;
    for (const auto& hook : hooks) {
        if (!hook.enabled || held.contains(hook.id)) {
            continue;
        }
        auto next = store_.next_delivery_time(hook.id);
        if (!next) {
            return from_store(next.error(), hook.id);
        }
        if (*next && (!earliest || **next < *earliest)) {
            earliest = *next;
        }
    }
    return earliest;
}

Outcome<std::optional<util::Micros>> WebhookService::attempted(const domain::WebhookDelivery& delivery,
                                                               util::Micros started, const PostOutcome& outcome)
{
    domain::DeliveryAttempt attempt;
    attempt.delivery_id = delivery.id;
    attempt.number = delivery.attempts + 1;
    attempt.time = started;
    if (outcome.status) {
        attempt.status_code = *outcome.status;
    }
    attempt.error = outcome.error;
    attempt.duration_ms = outcome.took.count();
    const bool accepted = outcome.error.empty() && outcome.status && *outcome.status >= 200 && *outcome.status < 300;
    auto state = domain::DeliveryState::Delivered;
    std::optional<util::Micros> next;
    if (!accepted) {
        const auto now = clock_.now();
        const auto give_up_at =
            delivery.created_at + std::chrono::duration_cast<std::chrono::microseconds>(config_.retry_for).count();
        if (now >= give_up_at) {
            state = domain::DeliveryState::Failed;
        } else {
            state = domain::DeliveryState::Pending;
            next = std::min(now + retry_delay(attempt.number), give_up_at);
        }
    }
    if (auto recorded = store_.record_delivery_attempt(attempt, state, next); !recorded) {
        if (recorded.error().code == store::StoreErrc::NotFound) {
            return std::optional<util::Micros>(); // its webhook was deleted while it was posted
        }
        return from_store(recorded.error(), delivery.webhook_id);
    }
    return next;
}

Outcome<std::int64_t> WebhookService::forget_deliveries_older_than(std::chrono::hours age)
{
    auto deleted =
        store_.delete_old_deliveries(clock_.now() - std::chrono::duration_cast<std::chrono::microseconds>(age).count());
    if (!deleted) {
        return from_store(deleted.error(), {});
    }
    return *deleted;
}

util::Micros WebhookService::retry_delay(std::int64_t failures) const
{
    const auto longest = std::chrono::duration_cast<std::chrono::microseconds>(kLongestRetryDelay).count();
    auto delay = std::chrono::duration_cast<std::chrono::microseconds>(config_.first_retry).count();
    for (std::int64_t i = 1; i < failures && delay < longest; ++i) {
        delay *= 2;
    }
    delay = std::min(delay, longest);
    // Between half the delay and all of it, so that deliveries failed together are not retried together.
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::uniform_int_distribution<util::Micros> jitter(delay / 2, delay);
    return jitter(random);
}

} // namespace jobsessions::service
