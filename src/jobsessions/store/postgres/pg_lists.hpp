// SPDX-License-Identifier: Apache-2.0
// How the PostgreSQL store counts a list and finds where its page starts.
#pragma once

#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/store/postgres/kept_counts.hpp"
#include "jobsessions/store/session_store.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::store::postgres {

/// The WHERE clause of a filter over `sessions` (empty, or starting with " WHERE "), with its parameters appended
/// to `params` and numbered after those already there.
std::string where_of(const SessionFilter& filter, std::vector<Param>& params);

/// The exact number of sessions matching `filter`. A filter of types, statuses, creator and policy adds up kept
/// counts (schema.hpp): the overall ones without a time window; with one, whole 32-day periods, days and hours (a
/// policy's: no hours) from the per-time counts and the parts of hours (days) at the window's edges from the index. A
/// text or usn filter counts the matching sessions. Each statement is read through `counter`.
Result<std::int64_t> count_matching(Counter& counter, const SessionFilter& filter);

/// The statement reading a page: `limit` sessions of `filter`'s list after skipping `offset`, newest first, their
/// parameters appended to `params`. The sessions' keys come from the list's index alone (schema.cpp: every column
/// that reads is in the list indexes, so PostgreSQL reads the sessions it skips from an index; with several types or
/// statuses, from the index of each, merged), then their rows by id: each row has JOBSESSIONS_PG_SESSION_COLUMNS
/// (session_rows.hpp). With `with_version`, every row has the sessions' version after them, and an empty page is one
/// row with no session.
std::string page_statement(const SessionFilter& filter, std::int64_t offset, std::int64_t limit, bool with_version,
                           std::vector<Param>& params);

/// Below this offset a page skips its offset in the index itself (OFFSET): one statement, cheap enough.
inline constexpr std::int64_t kSeekFromOffset = 2'000;

/// Where a page of a list starts: the list of the filter narrowed to sessions that started before `to` (when
/// set), after skipping `offset` of them.
struct PageStart {
    std::optional<util::Micros> to;
    std::int64_t offset = 0;
};

/// Where the page at `offset` of the list of `filter` starts, placed by the per-time kept counts so that the
/// page's statement skips less than an hour of sessions (a day of a policy's): the periods, days and hours newer
/// than the page are passed over by their counts. An offset below kSeekFromOffset, a text or a usn filter, and a
/// window of less than a whole hour (day) start at the offset itself. Run it in the same snapshot as the page's
/// statement (a repeatable-read transaction), so that the counts it passes over are those of the sessions the page
/// skips: `counter` reads in that snapshot.
Result<PageStart> seek_page(Counter& counter, const SessionFilter& filter, std::int64_t offset);

} // namespace jobsessions::store::postgres
