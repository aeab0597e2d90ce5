// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace jobsessions::store::sqlite {

class ListCache;

/// The session columns every query reads, in the order read_session expects.
extern const char* const kSessionColumns;

/// Reads a session from a row of kSessionColumns.
Result<domain::JobSession> read_session(const Statement& row);

/// A query built at run time and its parameters.
struct Query {
    std::string sql;
    std::vector<std::variant<std::int64_t, std::string>> params;
};

/// Binds `params` to ?1, ?2, …
void bind_all(Statement& stmt, const std::vector<std::variant<std::int64_t, std::string>>& params);

/// What a text filter matches besides the types named like it: the policies whose recorded names contain the
/// text. A list then walks those policies' ranges of the index and the named types' ranges, not every session.
struct TextMatches {
    std::vector<std::string> policy_ids;
};

/// What a list reads besides its filter's values, looked up in the store before its queries are built.
struct ListSource {
    /// At most a few thousand sessions changed after the filter's usn (an incremental poll): they are read along
    /// the usn index and sorted, not met walking a list index.
    bool few_changed_after_usn = false;
    /// The policies the filter's text names, when the text chooses the index: none when there is no text, when
    /// types, statuses or a policy choose it, or when the text is in more than a few dozen policy names (the list
    /// then walks all sessions, where its matches are frequent).
    std::optional<TextMatches> text;
};
Result<ListSource> list_source(Connection& db, const SessionFilter& filter);

/// The list queries for a filter: one per index range (a type, a status, a type and status pair, a policy, a
/// creator, the policies and types a text names, or all sessions), each walking its index newest first; merged,
/// they give the list in order. Every query names its index, so none can fall back to a table scan or a sort —
/// but for the few sessions changed after a usn, which one query reads along the usn index and sorts.
std::vector<Query> list_queries(const SessionFilter& filter, std::optional<std::int64_t> limit,
                                const ListSource& source = {});

/// The keys (`start_time, id, usn`) of a page: each range is walked in its index alone, without touching the table,
/// which is how a page skips its offset cheaply.
struct KeyQueries {
    std::vector<Query> queries;
    /// How many of the merged keys to skip: the offset when there are several ranges, else 0 (SQL skipped it).
    std::int64_t skip = 0;
};
/// Not for a source of few changed sessions (list_queries reads those).
KeyQueries list_key_queries(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                            const ListSource& source = {});

/// Reads the merged, newest-first stream of a set of list queries.
class MergedScan {
public:
    /// Prepares and binds `queries` on `db` (which must outlive the scan). Queries from list_key_queries are
    /// opened with `keys_only`, and then only `start_time`, `id` and `usn` of the sessions are set.
    static Result<MergedScan> open(Connection& db, const std::vector<Query>& queries, bool keys_only = false);

    /// The next session into `out`: true, or false at the end.
    Result<bool> next(domain::JobSession& out);

    /// The query plans of the queries, for tests.
    [[nodiscard]] std::string query_plans() const;

private:
    struct Stream {
        Statement statement;
        domain::JobSession head;
        bool has_head = false;
    };
    Result<void> advance(Stream& stream);

    std::vector<Stream> streams_;
    bool keys_only_ = false;
};

/// Where a page of a list starts: the list of the filter narrowed to sessions that started before `to` (when set),
/// after skipping `offset` of them.
struct PageStart {
    std::optional<util::Micros> to;
    std::int64_t offset = 0;
};

/// Where the page at `offset` of the list of `filter` starts, found from the kept counts (SessionCounts) so that a
/// deep page walks at most a few thousand index entries (or one minute's sessions) instead of its whole offset:
/// whole periods, then days, hours and minutes newer than the page are passed over by their counts. Filters the counts
/// cannot place (a text or a usn) start at the offset itself.
/// `plans`, when given, receives the query plan of each statement run (tests).
/// `cache`, when given, keeps the counts per bucket it passes over for readers whose snapshot is at least
/// `snapshot_floor` (ListCache::find_buckets), so that the next deep page of the filter reads none of them again.
Result<PageStart> seek_page(Connection& db, const SessionFilter& filter, std::int64_t offset, ListCache* cache,
                            std::uint64_t snapshot_floor, std::string* plans = nullptr);

/// The exact number of sessions matching `filter`: whole 32-day periods from their counts (SessionCounts); the
/// partial periods at the window's edges from the index when they hold few sessions, else from days, then hours,
/// then minutes. A `usn_after` filter counts from the index.
/// `plans`, when given, receives the query plan of each statement run (tests); `source`, what list_source found for
/// the same filter (a list counts what it reads without counting the changed sessions twice).
Result<std::int64_t> count_matching(Connection& db, const SessionFilter& filter, std::string* plans = nullptr,
                                    const ListSource* source = nullptr);

} // namespace jobsessions::store::sqlite
