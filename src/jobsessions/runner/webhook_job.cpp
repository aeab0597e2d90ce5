// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/webhook_job.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"
#include "jobsessions/util/thread_priority.hpp"

#include <algorithm>

namespace jobsessions::runner {
namespace {

/// Sessions turned into deliveries per transaction.
constexpr std::int64_t kSessionsPerStep = 200;
/// Events made into one webhook's deliveries per transaction, and at most so many transactions per pass.
constexpr std::int64_t kEventsPerQueue = 200;
constexpr int kQueueRoundsPerPass = 10;
/// Due deliveries fetched per pass, besides those already in flight.
constexpr std::int64_t kDuePerPass = 64;
/// How often the outbox is looked at when nothing wakes the job: other servers' writes, retries coming due.
constexpr auto kLookAgain = std::chrono::milliseconds(1000);
/// The shortest time between two passes: a stream of session writes wakes the job once per this, not per write.
constexpr auto kBetweenPasses = std::chrono::milliseconds(20);
/// How often it looks whether a webhook was made (by another server) while there is none.
constexpr auto kLookForWebhooks = std::chrono::milliseconds(5000);
/// Delivered and given-up deliveries are kept this long for the API, then deleted (once an hour).
constexpr auto kKeepDeliveries = std::chrono::hours(24 * 30);
constexpr auto kCleanupEvery = std::chrono::hours(1);

} // namespace

WebhookJob::WebhookJob(service::WebhookService& webhooks, service::ChangeHub& hub, const util::Clock& clock,
                       DeliveryPoster post, const Leadership* leadership, std::size_t senders)
    : webhooks_(webhooks)
    , clock_(clock)
    , post_(std::move(post))
    , leadership_(leadership)
    , sender_count_(std::max<std::size_t>(1, senders))
{
    subscription_ = hub.watch_all([this] {
        if (!webhooks_.any()) {
            return; // nothing to tell anyone: a write costs no wake-up
        }
        signal_change();
    });
}

void WebhookJob::run_in_background()
{
    // Telling of changes is background work: on a busy core, requests go first, and no request waits for a lock
    // these threads hold (see signal_change).
    if (const auto failed = util::lower_this_thread_priority(); !failed.empty()) {
        log::warning("webhook: a thread of the delivering job could not be given the lowest priority: " + failed);
    }
}

void WebhookJob::signal_change()
{
    // One wake-up per pass at most: the first change since the pass began wakes the dispatcher, later ones find
    // it told already (a wake-up per session write would cost a context switch per write).
    if (changed_.exchange(true)) {
        return;
    }
    // Session writes call this, and must never wait for the dispatcher, which runs at the lowest priority: the
    // lock is only tried. Held, the dispatcher is checking `changed_` before it sleeps (it sees the change) or is
    // in the instant between that check and its sleep (it looks again when its wait ends, kLookAgain at most).
    std::unique_lock lock(wake_mutex_, std::try_to_lock);
    if (lock.owns_lock()) {
        lock.unlock();
        wake_dispatcher_.notify_one();
    }
}

WebhookJob::~WebhookJob()
{
    stop();
}

void WebhookJob::start()
{
    dispatcher_ = std::thread([this] { dispatch_loop(); });
    for (std::size_t i = 0; i < sender_count_; ++i) {
        senders_.emplace_back([this] { send_loop(); });
    }
}

void WebhookJob::stop()
{
    subscription_.reset();
    stop_ = true;
    {
        const std::lock_guard lock(mutex_);
        queue_.clear();
    }
    wake_senders_.notify_all();
    {
        const std::lock_guard lock(wake_mutex_); // not between the dispatcher's look at stop_ and its sleep
    }
    wake_dispatcher_.notify_all();
    if (dispatcher_.joinable()) {
        dispatcher_.join();
    }
    for (auto& sender : senders_) {
        if (sender.joinable()) {
            sender.join();
        }
    }
    senders_.clear();
}

void WebhookJob::dispatch_loop()
{
    util::name_this_thread("webhooks");
    run_in_background();
    while (!stop_) {
        changed_ = false;
        const auto wait = pass();
        std::unique_lock lock(wake_mutex_);
        // A pause first, which a stop ends; then until something changes or the wait is over.
        const auto pause = std::min(wait, std::chrono::milliseconds(kBetweenPasses));
        if (wake_dispatcher_.wait_for(lock, pause, [this] { return stop_.load(); })) {
            break;
        }
        wake_dispatcher_.wait_for(lock, wait - pause, [this] { return stop_ || changed_; });
    }
}

std::chrono::milliseconds WebhookJob::pass()
{
    if (leadership_ != nullptr && !leadership_->leads()) {
        return kLookForWebhooks;
    }
    auto hooks = webhooks_.targets(); // read once: the steps below share them
    if (!hooks) {
        complain(hooks.error());
        return kLookAgain;
    }
    if (hooks->empty()) {
        return kLookForWebhooks;
    }
    while (true) {
        auto more = webhooks_.dispatch_changes(*hooks, kSessionsPerStep);
        if (!more) {
            complain(more.error());
            return kLookAgain;
        }
        if (!*more) {
            break;
        }
    }
    std::int64_t in_flight = 0;
    std::vector<std::int64_t> recorded;         // before the read of what is due: released after it
    std::map<std::string, std::int64_t> limits; // of the webhooks held back or tried one delivery at a time
    std::set<std::string> held;                 // whose receivers failed lately: their events wait
    std::set<std::string> waiting;              // whose next delivery is not for the outbox to say
    std::optional<util::Micros> held_until;
    {
        const std::lock_guard lock(mutex_);
        recorded.swap(recorded_);
        in_flight = static_cast<std::int64_t>(in_flight_.size());
        const auto now = clock_.now();
        std::set<std::string> trying; // webhooks with a delivery in flight
        for (const auto& flight : in_flight_) {
            trying.insert(flight.second);
        }
        for (const auto& [hook, until] : held_) {
            held.insert(hook);
            const bool try_one = until <= now && !trying.contains(hook);
            limits[hook] = try_one ? 1 : 0;
            if (!try_one) {
                waiting.insert(hook);
            }
            if (until > now) {
                held_until = std::min(held_until.value_or(until), until);
            }
        }
        // A receiver not known to be up (none accepted yet since the start, or its last delivery was given up) is
        // sent one delivery at a time until it accepts one: a receiver that is down costs one attempt, not one per
        // delivery waiting for it, before it is held back.
        std::erase_if(up_, [&](const std::string& id) {
            return std::none_of(hooks->begin(), hooks->end(), [&id](const auto& hook) { return hook.id == id; });
        });
        for (const auto& hook : *hooks) {
            if (up_.contains(hook.id) || held_.contains(hook.id)) {
                continue;
            }
            const bool one_in_flight = trying.contains(hook.id);
            limits[hook.id] = one_in_flight ? 0 : 1;
            if (one_in_flight) {
                waiting.insert(hook.id);
            }
        }
    }
    for (int round = 0; round < kQueueRoundsPerPass; ++round) {
        auto more = webhooks_.queue_events(*hooks, kEventsPerQueue, held);
        if (!more) {
            complain(more.error());
            break;
        }
        if (!*more) {
            break;
        }
    }
    auto due = webhooks_.due(*hooks, kDuePerPass + in_flight, limits);
    if (!due) {
        complain(due.error());
        const std::lock_guard lock(mutex_);
        recorded_.insert(recorded_.end(), recorded.begin(), recorded.end()); // released after a later read
        return kLookAgain;
    }
    {
        const std::lock_guard lock(mutex_);
        for (const auto id : recorded) {
            in_flight_.erase(id);
        }
        for (auto& item : *due) {
            if (in_flight_.emplace(item.delivery.id, item.webhook.id).second) {
                queue_.push_back(std::move(item));
            }
        }
    }
    wake_senders_.notify_all();

    const auto steady_now = std::chrono::steady_clock::now();
    if (steady_now >= next_cleanup_) {
        next_cleanup_ = steady_now + kCleanupEvery;
        if (auto forgot = webhooks_.forget_deliveries_older_than(kKeepDeliveries); !forgot) {
            complain(forgot.error());
        }
    }
    auto next = webhooks_.next_due(*hooks, waiting);
    if (!next) {
        complain(next.error());
        return kLookAgain;
    }
    if (held_until && (!*next || *held_until < **next)) {
        *next = held_until;
    }
    if (!*next) {
        return kLookAgain;
    }
    const auto until = std::chrono::milliseconds(std::max<util::Micros>(0, (**next - clock_.now()) / 1000 + 1));
    return std::min(until, std::chrono::milliseconds(kLookAgain));
}

void WebhookJob::send_loop()
{
    util::name_this_thread("webhook-send");
    run_in_background();
    std::unique_lock lock(mutex_);
    while (true) {
        wake_senders_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) {
            return;
        }
        auto due = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        send(due);
        lock.lock();
        recorded_.push_back(due.delivery.id);
        lock.unlock();
        signal_change(); // the next delivery of its session may be due now
        lock.lock();
    }
}

void WebhookJob::send(const service::WebhookService::Due& due)
{
    const auto started = clock_.now();
    const auto signature = service::sign_delivery(due.webhook.secret, std::to_string(due.delivery.id),
                                                  util::floor_div(started, 1'000'000), due.delivery.payload);
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"webhook-id", signature.id},
        {"webhook-timestamp", signature.timestamp},
        {"webhook-signature", signature.signature},
    };
    const auto outcome = post_(due.webhook.url, headers, due.delivery.payload);
    if (!outcome.error.empty()) {
        log::write(log::Level::Warning, "webhook: a delivery was not accepted",
                   {{"webhook", due.webhook.id},
                    {"delivery", std::to_string(due.delivery.id)},
                    {"attempt", std::to_string(due.delivery.attempts + 1)},
                    {"error", outcome.error}});
    }
    auto retry = webhooks_.attempted(due.delivery, started, outcome);
    if (!retry) {
        complain(retry.error());
        return;
    }
    const std::lock_guard lock(mutex_);
    if (*retry) {
        auto& until = held_[due.webhook.id];
        until = std::max(until, **retry);
        up_.erase(due.webhook.id);
    } else {
        held_.erase(due.webhook.id); // accepted (the receiver is back), or given up: its next events may go
        if (outcome.error.empty()) {
            up_.insert(due.webhook.id);
        } else {
            up_.erase(due.webhook.id);
        }
    }
}

void WebhookJob::complain(const service::DomainError& error)
{
    const auto now = std::chrono::steady_clock::now();
    {
        const std::lock_guard lock(mutex_);
        if (last_complaint_ != std::chrono::steady_clock::time_point{} &&
            now - last_complaint_ < std::chrono::minutes(1)) {
            return;
        }
        last_complaint_ = now;
    }
    log::warning("webhook: " + error.for_log());
}

} // namespace jobsessions::runner
