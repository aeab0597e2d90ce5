// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/account_store.hpp"
#include "jobsessions/store/cluster_store.hpp"
#include "jobsessions/store/idempotency_store.hpp"
#include "jobsessions/store/policy_store.hpp"
#include "jobsessions/store/session_store.hpp"
#include "jobsessions/store/webhook_store.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace jobsessions::store {

/// Sweeps the records that expire across concerns: spent refresh tokens, old idempotency answers, login counts.
class HousekeepingStore {
public:
    virtual ~HousekeepingStore() = default;
    HousekeepingStore(const HousekeepingStore&) = delete;
    HousekeepingStore& operator=(const HousekeepingStore&) = delete;

    /// Deletes refresh tokens expired for longer than the reuse-detection grace, idempotency records created
    /// before `idempotency_before`, failed logins older than a day and login addresses unused for a year;
    /// returns how many rows went.
    virtual Result<std::int64_t> delete_expired_records(util::Micros now, util::Micros idempotency_before) = 0;

protected:
    HousekeepingStore() = default;
};

/// What a backup of the store holds, counted in the copy once it was written.
struct BackupSummary {
    std::int64_t sessions = 0;
    std::int64_t log_entries = 0;
    /// The copy's size.
    std::int64_t bytes = 0;
};

/// Copies of the whole store, taken while it is in use.
class BackupStore {
public:
    virtual ~BackupStore() = default;
    BackupStore(const BackupStore&) = delete;
    BackupStore& operator=(const BackupStore&) = delete;

    /// Writes the store as of one moment, while writes go on, to `file` (owner-only), verifies the copy and only
    /// then puts it in place, replacing what was there. A backend whose database is backed up by its own tools
    /// (PostgreSQL: pg_dump) answers Unavailable, saying so.
    virtual Result<BackupSummary> back_up_to(const std::string& file) = 0;

protected:
    BackupStore() = default;
};

/// Told of each batch of writes a store commits (its group commit), for metrics. Called on the store's writer
/// thread right after the commit: quick, and never throws.
class WriteObserver {
public:
    virtual ~WriteObserver() = default;
    /// `writes` were committed together; `took` from the batch's start to its commit on disk.
    virtual void batch_committed(std::size_t writes, std::chrono::nanoseconds took) noexcept = 0;

protected:
    WriteObserver() = default;
    WriteObserver(const WriteObserver&) = default;
    WriteObserver& operator=(const WriteObserver&) = default;
};

/// The room a store takes on disk.
struct StorageSize {
    std::int64_t database_bytes = 0;
    /// Its write-ahead log, where the store keeps one of its own (SQLite's); none: it has none.
    std::optional<std::int64_t> log_bytes;
};

/// What a store tells of itself, for metrics.
class StatusStore {
public:
    virtual ~StatusStore() = default;
    StatusStore(const StatusStore&) = delete;
    StatusStore& operator=(const StatusStore&) = delete;

    /// Tells `observer` (which must outlive the store; null: nobody) of every batch committed from now on.
    virtual void observe_writes(WriteObserver* observer) noexcept = 0;
    /// The room the database takes now.
    virtual Result<StorageSize> storage_size() = 0;

protected:
    StatusStore() = default;
};

/// A whole store: every concern's interface, behind which SQLite (and PostgreSQL) sit; the only place SQL lives.
/// Services take the narrow interface of their concern; only the composition root holds the whole.
/// Thread-safety: every method may be called from any thread concurrently. Writes return only after the data is
/// durable; reads never wait for writes.
class Store : public SessionStore,
              public IdempotencyStore,
              public UserStore,
              public TokenStore,
              public LoginStore,
              public PolicyStore,
              public RunStore,
              public WebhookStore,
              public HousekeepingStore,
              public BackupStore,
              public StatusStore {
public:
    /// How the servers sharing this database coordinate; null when one server owns it (SQLite in its data
    /// directory).
    virtual ClusterStore* cluster() noexcept { return nullptr; }

protected:
    Store() = default;
};

/// How to open a store.
struct StoreOptions {
    /// SQLite: the database file path.
    std::string path;
};

/// Opens the SQLite store at `options.path`, creating it and applying migrations as needed.
Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);

} // namespace jobsessions::store
