// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/store/postgres/kept_counts.hpp"
#include "jobsessions/store/postgres/pg_writer.hpp"
#include "jobsessions/store/store.hpp"

#include <memory>
#include <string>

namespace jobsessions::store::postgres {

/// The shared backend: one PostgreSQL database that several servers may use at once. Every read and write is a
/// statement or a transaction on a pooled connection; writes commit with the server's synchronous_commit (on, by
/// default: durable before they are acknowledged); usns come from a counter row locked until commit (next_usn), so
/// they become visible in order. Lists are plain SQL over the list indexes, with exact counts taken from kept counts
/// where the filter allows (pg_lists.hpp).
class PgStore final : public Store, public ClusterStore {
public:
    /// Connects (`connections` at most), brings the schema up to date and returns the store.
    static Result<std::unique_ptr<PgStore>> open(const std::string& conninfo, std::size_t connections);

    [[nodiscard]] ReadCost lookup_cost() const noexcept override { return ReadCost::Long; }
    [[nodiscard]] ReadCost list_cost(const SessionFilter& /*filter*/) const noexcept override { return ReadCost::Long; }

    Result<domain::JobSession> get_session(std::int64_t id) override;
    /// A lookup waits on the calling I/O thread's event loop (session_lookups.hpp), with the others it batches.
    [[nodiscard]] bool looks_up_later() const noexcept override { return true; }
    void get_session_later(std::int64_t id, boost::asio::io_context& io, SessionReply reply) override;
    /// Read with the lookups, in the same statement (session_lookups.hpp).
    [[nodiscard]] bool versions_sessions() const noexcept override { return true; }
    void sessions_version_later(boost::asio::io_context& io, VersionReply reply) override;
    Result<std::int64_t> get_session_creator(std::int64_t id) override;
    Result<domain::JobSession> create_session(const NewSession& session, const IdempotencyWrite* idempotency) override;
    Result<void> import_sessions(const std::vector<NewSession>& sessions) override;
    Result<domain::JobSession> replace_session(const domain::JobSession& next, std::int64_t expected_usn,
                                               const IdempotencyWrite* idempotency) override;
    Result<LogAppend> append_log(std::int64_t session_id, const std::vector<NewLogEntry>& entries,
                                 const IdempotencyWrite* idempotency) override;
    Result<PageKeys> list_session_keys(const SessionFilter& filter, std::int64_t offset, std::int64_t limit) override;
    Result<std::vector<domain::JobSession>> get_sessions(const std::vector<SessionKey>& keys) override;
    Result<std::int64_t> count_sessions(const SessionFilter& filter) override;
    Result<std::unique_ptr<SessionCursor>> open_session_cursor(const SessionFilter& filter) override;
    Result<std::vector<domain::JobSession>> changed_sessions(std::int64_t after_usn, std::int64_t limit,
                                                             std::optional<std::int64_t> created_by) override;
    Result<std::int64_t> highest_usn() override;
    Result<std::vector<domain::LogEntry>> get_log(std::int64_t session_id, std::int64_t offset,
                                                  std::int64_t limit) override;
    /// Waits on the calling I/O thread's event loop as a lookup does (session_lookups.hpp).
    void get_log_later(std::int64_t session_id, std::int64_t offset, std::int64_t limit, boost::asio::io_context& io,
                       LogReply reply) override;
    Result<RetentionBatch> delete_old_sessions(const std::optional<std::string>& policy_id, util::Micros before,
                                               std::int64_t max_sessions) override;

    Result<std::optional<IdempotencyRecord>> find_idempotency(std::int64_t user_id, const std::string& key) override;

    Result<std::vector<domain::User>> list_users() override;
    Result<domain::User> find_user(const std::string& name) override;
    Result<domain::User> create_user(const domain::User& user) override;
    Result<void> update_user(const domain::User& user) override;
    Result<void> remove_user(std::int64_t id) override;

    Result<void> insert_refresh_token(const RefreshTokenRecord& record) override;
    Result<Rotation> rotate_refresh_token(const std::string& token_hash, util::Micros now,
                                          RefreshTokenRecord next) override;
    Result<void> revoke_login(const std::string& login_id) override;
    Result<void> revoke_user_logins(std::int64_t user_id) override;
    Result<std::string> get_or_create_secret(const std::string& name,
                                             const std::function<std::string()>& make) override;

    Result<std::vector<LoginFailures>> login_failures(const std::vector<std::string>& keys) override;
    Result<std::vector<LoginFailures>> add_login_failure(const std::vector<std::string>& keys, util::Micros now,
                                                         util::Micros forget_before) override;
    Result<void> record_login_success(const std::string& failures_key, const std::string& address_key,
                                      util::Micros now) override;
    Result<std::optional<util::Micros>> last_login_success(const std::string& address_key) override;

    Result<std::vector<domain::Policy>> list_policies() override;
    Result<domain::Policy> get_policy(const std::string& id) override;
    Result<domain::Policy> create_policy(const domain::Policy& policy) override;
    Result<domain::Policy> update_policy(const domain::Policy& policy) override;
    Result<std::vector<std::int64_t>> delete_policy(const std::string& id) override;
    Result<std::optional<util::Micros>> policy_last_tick(const std::string& id) override;
    Result<void> set_policy_last_tick(const std::string& id, util::Micros tick) override;
    Result<bool> advance_policy_tick(const std::string& id, std::optional<util::Micros> expected,
                                     util::Micros tick) override;

    Result<bool> claim_policy_run(const PolicyRun& run, std::int64_t max_runs) override;
    Result<void> insert_policy_run(const PolicyRun& run) override;
    Result<void> remove_policy_run(std::int64_t session_id) override;
    Result<std::vector<PolicyRun>> list_policy_runs() override;

    Result<std::int64_t> delete_expired_records(util::Micros now, util::Micros idempotency_before) override;

    // WebhookStore: pg_webhooks.cpp
    Result<std::vector<domain::Webhook>> list_webhooks() override;
    Result<domain::Webhook> get_webhook(const std::string& id) override;
    Result<domain::Webhook> create_webhook(const domain::Webhook& webhook) override;
    Result<domain::Webhook> update_webhook(const domain::Webhook& webhook) override;
    Result<void> delete_webhook(const std::string& id) override;
    Result<std::optional<WebhookCursor>> webhook_cursor() override;
    Result<std::vector<std::pair<std::int64_t, domain::SessionStatus>>>
    watched_sessions(const std::vector<std::int64_t>& session_ids) override;
    Result<bool> unseen_session_between(std::int64_t after_id, std::int64_t through_id,
                                        std::int64_t after_usn) override;
    Result<bool> record_webhook_dispatch(const WebhookDispatch& step) override;
    Result<std::vector<domain::WebhookEventRecord>> events_after(std::int64_t after_id, std::int64_t limit) override;
    Result<bool> queue_deliveries(const std::string& webhook_id, std::int64_t from, std::int64_t through,
                                  const std::vector<QueuedEvent>& events, util::Micros now) override;
    Result<std::vector<domain::WebhookDelivery>> due_deliveries(const std::string& webhook_id, util::Micros now,
                                                                std::int64_t limit) override;
    Result<std::optional<util::Micros>> next_delivery_time(const std::string& webhook_id) override;
    Result<void> record_delivery_attempt(const domain::DeliveryAttempt& attempt, domain::DeliveryState state,
                                         std::optional<util::Micros> next_attempt_at) override;
    Result<DeliveryPage> list_deliveries(const std::string& webhook_id, std::int64_t offset,
                                         std::int64_t limit) override;
    Result<std::int64_t> delete_old_deliveries(util::Micros before) override;

    // BackupStore
    Result<BackupSummary> back_up_to(const std::string& file) override;

    // StatusStore
    void observe_writes(WriteObserver* observer) noexcept override;
    Result<StorageSize> storage_size() override;

    ClusterStore* cluster() noexcept override { return this; }
    Result<std::unique_ptr<ChangeListener>> listen_for_changes() override;
    Result<bool> hold_lease(const std::string& name, const std::string& holder, util::Micros duration) override;
    Result<void> release_lease(const std::string& name, const std::string& holder) override;
    Result<std::vector<std::string>> live_leases() override;
    Result<std::optional<std::int64_t>> newer_schema() override;

private:
    PgStore(const std::string& conninfo, std::size_t connections);
    /// Runs one statement on a pooled connection.
    Result<Rows> query(const char* sql, const std::vector<Param>& params = {});
    /// Runs a named constant statement on a pooled connection, prepared there once.
    Result<Rows> prepared(const char* sql, const std::vector<Param>& params = {});

    const std::string conninfo_;
    /// Tells this store's lookup connections apart from another's on one event loop.
    const std::uint64_t key_;
    ConnectionPool pool_;
    /// The writes that take usns, committed in batches.
    PgWriter writer_;
    static constexpr std::size_t kKeptCountsBytes = 4 << 20;
    /// The counts deep pages passed over, by the sessions' version they were read at (shared with the replies of
    /// the version reads, which note the newest version).
    std::shared_ptr<KeptCounts> kept_counts_ = std::make_shared<KeptCounts>(kKeptCountsBytes);
};

} // namespace jobsessions::store::postgres
