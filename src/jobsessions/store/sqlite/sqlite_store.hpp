// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/checkpointer.hpp"
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/sqlite/list_cache.hpp"
#include "jobsessions/store/sqlite/session_counts.hpp"
#include "jobsessions/store/sqlite/usn_counter.hpp"
#include "jobsessions/store/sqlite/writer.hpp"
#include "jobsessions/store/store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace jobsessions::store::sqlite {

struct ReaderSlot;
struct ListSource;

/// The embedded backend: one SQLite file in WAL mode. Writes go through one Writer (group commit, fsync before
/// acknowledging); each thread reads through its own connection, so reads run in parallel with each other and
/// with the writer.

class SqliteStore final : public Store {
public:
    /// Opens (creating if needed) and migrates the database at `path`.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
    ~SqliteStore() override;

    [[nodiscard]] ReadCost lookup_cost() const noexcept override { return ReadCost::Quick; }
    /// Text and usn filters may walk much of an index (see session_query); any other list is placed from the
    /// kept counts and reads at most a few thousand index entries.
    [[nodiscard]] ReadCost list_cost(const SessionFilter& filter) const noexcept override
    {
        return (filter.text && !filter.text->empty()) || filter.usn_after ? ReadCost::Long : ReadCost::Quick;
    }
    void begin_read_round() noexcept override;
    void end_read_round() noexcept override;

    Result<domain::JobSession> get_session(std::int64_t id) override;
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
    /// The SQLite query plans of a list with this filter, one line per step, for tests that every list is
    /// served from an index; with `keys_only`, of the key walk a page skips its offset with, then of the
    /// statement that reads the page's rows.
    std::string list_query_plans(const SessionFilter& filter, bool keys_only = false);
    /// The query plans of the statements that count the sessions matching `filter` (tests).
    std::string count_query_plans(const SessionFilter& filter);
    /// The query plans of the statements that find where the page at `offset` starts, and in `walked` how many
    /// sessions the page's key walk still skips in the index (tests).
    std::string seek_query_plans(const SessionFilter& filter, std::int64_t offset, std::int64_t& walked);
    Result<std::vector<domain::LogEntry>> get_log(std::int64_t session_id, std::int64_t offset,
                                                  std::int64_t limit) override;

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

    // Policies: policy_store.cpp.
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
    Result<std::vector<LoginFailures>> login_failures(const std::vector<std::string>& keys) override;
    Result<std::vector<LoginFailures>> add_login_failure(const std::vector<std::string>& keys, util::Micros now,
                                                         util::Micros forget_before) override;
    Result<void> record_login_success(const std::string& failures_key, const std::string& address_key,
                                      util::Micros now) override;
    Result<std::optional<util::Micros>> last_login_success(const std::string& address_key) override;
    Result<std::int64_t> delete_expired_records(util::Micros now, util::Micros idempotency_before) override;

    // WebhookStore: webhook_store.cpp
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
    Result<RetentionBatch> delete_old_sessions(const std::optional<std::string>& policy_id, util::Micros before,
                                               std::int64_t max_sessions) override;

    /// The thread that copies the write-ahead log back into the database file (for tests).
    Checkpointer& checkpointer() noexcept { return checkpointer_; }

private:
    SqliteStore(std::string path, std::unique_ptr<Connection> write_connection,
                std::unique_ptr<Connection> checkpoint_connection);

    /// This thread's read connection, opened on first use; in a read round, with a current snapshot.
    Result<Connection*> reader();
    /// This thread's reader of this store, if it has one yet.
    ReaderSlot* reader_slot();
    Result<void> keep_snapshot_current(ReaderSlot& slot);
    /// A commit count this thread's next reads see at least (its snapshot's, in a read round).
    std::uint64_t snapshot_floor();
    /// The number of sessions matching `filter` on `db` (whose snapshot includes at least commit `floor`), from
    /// the list cache when it holds it.
    Result<std::int64_t> total_of(Connection& db, const SessionFilter& filter, const ListSource* source,
                                  std::uint64_t floor);

    /// Runs `body` on the writer and returns its result once committed and on disk.
    template <class T, class Body> Result<T> write(Body&& body) { return write<T>(std::forward<Body>(body), true); }
    /// Runs `body` on the writer and returns its result once committed, before it is on disk: for writes made again
    /// from what synced ones stored when a crash of the machine loses them (see WriteJob::synced).
    template <class T, class Body> Result<T> write_unsynced(Body&& body)
    {
        return write<T>(std::forward<Body>(body), false);
    }
    template <class T, class Body> Result<T> write(Body&& body, bool synced);

    std::string path_;
    /// Unique per store object (never reused), so a thread's cached reader is never mistaken for another store's.
    std::uint64_t id_;
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<Connection>> readers_;
    /// Declared before the writer, which hands it the log's size after each commit until it stops.
    Checkpointer checkpointer_;
    /// Used by the writer thread only; declared before the writer, which uses them until it stops.
    UsnCounter usn_;
    SessionCounts counts_;
    ListCache list_cache_;
    Writer writer_;
};

template <class T, class Body> Result<T> SqliteStore::write(Body&& body, bool synced)
{
    std::optional<Result<T>> produced;
    WriteJob job;
    job.synced = synced;
    job.body = [&](Connection& db) -> Result<void> {
        produced.emplace(body(db));
        if (!*produced) {
            return produced->error();
        }
        return {};
    };
    writer_.run(job);
    if (!job.outcome) {
        return job.outcome.error();
    }
    return std::move(*produced);
}

} // namespace jobsessions::store::sqlite
