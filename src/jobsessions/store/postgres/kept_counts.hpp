// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/util/generational_cache.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::store::postgres {

/// The counts a list reads (its total, and the counts per period, day and hour a deep page passes over), kept with
/// the sessions' version (schema.hpp) of the snapshot they were read in. A counting statement read again in a
/// snapshot of the same version gives the same numbers, so a reader at that version takes them from here instead
/// of asking PostgreSQL: pages at random offsets of an unchanging store pass over their periods, days and hours
/// without a statement each. A count kept at another version is never taken. Thread-safe.
class KeptCounts {
public:
    using Numbers = std::vector<std::int64_t>;

    /// Keeps at most about `capacity_bytes`.
    explicit KeptCounts(std::size_t capacity_bytes);

    /// The numbers `sql` with `params` read at `version`, or null.
    std::shared_ptr<const Numbers> find(const std::string& sql, const std::vector<Param>& params, std::int64_t version);
    /// Keeps what `sql` with `params` read in a snapshot at `version`.
    void keep(const std::string& sql, const std::vector<Param>& params, std::int64_t version,
              std::shared_ptr<const Numbers> numbers);

    /// Notes a version of the sessions read anywhere (a snapshot's, or one read to check a kept page).
    void saw_version(std::int64_t version) noexcept;
    /// The newest version noted: what a reader without a snapshot of its own takes the store to be at.
    [[nodiscard]] std::optional<std::int64_t> newest_version() const noexcept;

    /// Statements kept now (for tests).
    [[nodiscard]] std::size_t size();

private:
    struct Kept {
        std::int64_t version = 0;
        std::shared_ptr<const Numbers> numbers;
    };

    std::mutex mutex_;
    util::GenerationalCache<std::string, Kept> cache_;
    std::atomic<std::int64_t> newest_version_{-1};
};

/// Reads counting statements in one snapshot: from `kept` when they were read at the snapshot's version before,
/// else from `db` (then kept). Without a version (none read), always from `db`.
///
/// A counter that takes only what is kept (`kept_only`) reads nothing from `db`: a statement not kept at its
/// version reads as no rows and marks the counter `missed`, and what was computed from it is to be thrown away.
/// With the version a reader expects the store to be at, it places a page without a snapshot of its own, to be
/// checked against the version read with the page's keys.
class Counter {
public:
    Counter(Connection& db, KeptCounts* kept, std::optional<std::int64_t> version, bool kept_only = false) noexcept
        : db_(db)
        , kept_(kept)
        , version_(version)
        , kept_only_(kept_only)
    {
    }

    /// The numbers of every row of `sql`, row after row, `columns` of them per row (each a bigint).
    Result<std::shared_ptr<const KeptCounts::Numbers>> read(const std::string& sql, const std::vector<Param>& params,
                                                            int columns);
    /// The one number of a statement that reads one.
    Result<std::int64_t> single(const std::string& sql, const std::vector<Param>& params);

    /// Whether a statement was not kept (only for a counter that takes only what is kept).
    [[nodiscard]] bool missed() const noexcept { return missed_; }
    Connection& connection() noexcept { return db_; }

private:
    Connection& db_;
    KeptCounts* kept_;
    std::optional<std::int64_t> version_;
    bool kept_only_ = false;
    bool missed_ = false;
};

} // namespace jobsessions::store::postgres
