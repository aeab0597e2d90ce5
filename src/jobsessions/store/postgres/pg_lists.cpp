// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/pg_lists.hpp"

#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/store/postgres/session_rows.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <utility>

namespace jobsessions::store::postgres {
namespace {

using util::ceil_div;
using util::floor_div;
using util::kMicrosPerDay;

/// Whether the kept counts can place the sessions of a filter: they are kept per type, status, creator and policy.
bool counts_place(const SessionFilter& f)
{
    return !(f.text && !f.text->empty()) && !f.usn_after;
}

/// The filter's conditions on what a kept count is of (type, status, creator, policy): its time window left out.
SessionFilter kinds_of(const SessionFilter& f)
{
    auto kinds = f;
    kinds.from.reset();
    kinds.to.reset();
    return kinds;
}

const char* totals_of(const SessionFilter& f)
{
    return f.policy_id ? "session_policy_totals" : "session_totals";
}

const char* time_totals_of(const SessionFilter& f)
{
    return f.policy_id ? "session_policy_time_totals" : "session_time_totals";
}

std::string placeholder(std::vector<Param>& params, std::int64_t value)
{
    params.push_back(param(value));
    return "$" + std::to_string(params.size());
}

/// A time window cut at midnights: the whole days [first_day, end_day) (either end open) and the parts of days
/// at its edges, newest first. A window within a day or across one midnight has no whole day, only one edge.
struct Window {
    std::optional<std::int64_t> first_day;
    std::optional<std::int64_t> end_day;
    bool whole_days = true;
    struct Edge {
        std::optional<util::Micros> from;
        std::optional<util::Micros> to;
    };
    std::vector<Edge> edges;
};

Window window_of(const SessionFilter& f)
{
    Window w;
    if (f.from) {
        w.first_day = ceil_div(*f.from, kMicrosPerDay);
    }
    if (f.to) {
        w.end_day = floor_div(*f.to, kMicrosPerDay);
    }
    if (w.first_day && w.end_day && *w.first_day >= *w.end_day) {
        w.whole_days = false;
        w.edges.push_back({f.from, f.to});
        return w;
    }
    if (f.to && *w.end_day * kMicrosPerDay < *f.to) {
        w.edges.push_back({*w.end_day * kMicrosPerDay, f.to});
    }
    if (f.from && *f.from < *w.first_day * kMicrosPerDay) {
        w.edges.push_back({f.from, *w.first_day * kMicrosPerDay});
    }
    return w;
}

/// Buckets [lo, hi) of one span of the per-time counts (either end open).
struct Buckets {
    std::int64_t span = 1;
    std::optional<std::int64_t> lo;
    std::optional<std::int64_t> hi;
};

/// The buckets that make up the whole days [first, end): whole periods, and the days before and after them.
std::vector<Buckets> buckets_of(std::optional<std::int64_t> first, std::optional<std::int64_t> end)
{
    const auto first_period = first ? std::optional(ceil_div(*first, kDaysPerPeriod)) : std::nullopt;
    const auto end_period = end ? std::optional(floor_div(*end, kDaysPerPeriod)) : std::nullopt;
    if (first_period && end_period && *first_period >= *end_period) {
        return {Buckets{1, first, end}};
    }
    std::vector<Buckets> all{Buckets{kDaysPerPeriod, first_period, end_period}};
    if (first) {
        all.push_back(Buckets{1, first, *first_period * kDaysPerPeriod});
    }
    if (end) {
        all.push_back(Buckets{1, *end_period * kDaysPerPeriod, end});
    }
    return all;
}

/// The condition selecting some buckets' rows.
std::string condition_of(const Buckets& b, std::vector<Param>& params)
{
    auto sql = "(span = " + placeholder(params, b.span);
    if (b.lo) {
        sql += " AND bucket >= " + placeholder(params, *b.lo);
    }
    if (b.hi) {
        sql += " AND bucket < " + placeholder(params, *b.hi);
    }
    return sql + ")";
}

/// `filter`'s conditions on a kept counts table and any of `buckets`.
std::string where_in_buckets(const SessionFilter& filter, const std::vector<Buckets>& buckets,
                             std::vector<Param>& params)
{
    auto where = where_of(kinds_of(filter), params);
    std::string any;
    for (const auto& b : buckets) {
        any += (any.empty() ? "" : " OR ") + condition_of(b, params);
    }
    return where + (where.empty() ? " WHERE (" : " AND (") + any + ")";
}

/// How many sessions matching `filter`'s kinds started in [from, to), counted in the index.
std::string counted_in_index(const SessionFilter& filter, const Window::Edge& edge, std::vector<Param>& params)
{
    auto narrowed = filter;
    narrowed.from = edge.from;
    narrowed.to = edge.to;
    return "(SELECT count(*) FROM sessions" + where_of(narrowed, params) + ")";
}

/// A bucket's count: the sessions of a day or of a period.
struct BucketCount {
    std::int64_t span = 1;
    std::int64_t bucket = 0;
    std::int64_t n = 0;
    [[nodiscard]] std::int64_t first_day() const { return bucket * span; }
};

/// The counts per bucket of `buckets` for `filter`'s kinds, newest first.
Result<std::vector<BucketCount>> bucket_counts(Counter& counter, const SessionFilter& filter,
                                               const std::vector<Buckets>& buckets)
{
    std::vector<Param> params;
    const auto sql = std::string("SELECT span, bucket, sum(n)::bigint FROM ") + time_totals_of(filter) +
                     where_in_buckets(filter, buckets, params) + " GROUP BY span, bucket";
    auto numbers = counter.read(sql, params, 3);
    if (!numbers) {
        return numbers.error();
    }
    const auto& n = **numbers;
    std::vector<BucketCount> counts;
    counts.reserve(n.size() / 3);
    for (std::size_t i = 0; i + 2 < n.size(); i += 3) {
        counts.push_back(BucketCount{n[i], n[i + 1], n[i + 2]});
    }
    std::sort(counts.begin(), counts.end(),
              [](const BucketCount& a, const BucketCount& b) { return a.first_day() > b.first_day(); });
    return counts;
}

/// The statement reading the keys of a page (id, usn and start time, newest first), its parameters appended to
/// `params`.
std::string page_keys_statement(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                                std::vector<Param>& params)
{
    const auto where = where_of(filter, params);
    auto skip = placeholder(params, offset);
    auto take = placeholder(params, limit);
    if (counts_place(filter)) {
        // The offset and the limit as one-row subqueries, whose values the planner does not see: then the plan it
        // makes without the parameters' values costs no more than those it makes with them, and the prepared
        // statement keeps that one plan (planning it again for every page cost PostgreSQL as much as running it).
        // Lists of these filters have one good plan whatever the values: a scan of the filter's index, in order.
        // A text or usn filter is planned with its values, which choose between an index and a full scan.
        skip = "(SELECT " + skip + "::bigint)";
        take = "(SELECT " + take + "::bigint)";
    }
    return "SELECT id, usn, start_time FROM sessions" + where + " ORDER BY start_time DESC, id DESC OFFSET " + skip +
           " LIMIT " + take;
}

} // namespace

std::string where_of(const SessionFilter& f, std::vector<Param>& params)
{
    std::string sql;
    const auto add = [&](const std::string& condition) { sql += (sql.empty() ? " WHERE " : " AND ") + condition; };
    const auto next = [&](Param p) {
        params.push_back(std::move(p));
        return "$" + std::to_string(params.size());
    };
    // A column equal to one of `values`: one value is an equality, which PostgreSQL reads in its index's order
    // (ANY of one value is not).
    const auto one_of = [&](const char* column, const auto& values) {
        if (values.size() == 1) {
            add(std::string(column) + " = " + next(param(domain::to_string(values.front()))));
        } else if (!values.empty()) {
            std::vector<std::string> names;
            names.reserve(values.size());
            for (const auto v : values) {
                names.emplace_back(domain::to_string(v));
            }
            add(std::string(column) + " = ANY(" + next(text_array(names)) + "::text[])");
        }
    };
    one_of("type", f.types);
    one_of("status", f.statuses);
    if (f.policy_id) {
        add("policy_id = " + next(param(*f.policy_id)));
    }
    if (f.from) {
        add("start_time >= " + next(param(*f.from)));
    }
    if (f.to) {
        add("start_time < " + next(param(*f.to)));
    }
    if (f.text && !f.text->empty()) {
        // The policy name contains the text, or the type's localized name does (ASCII case folded, as SQLite).
        std::string pattern = "%";
        for (const char c : *f.text) {
            if (c == '%' || c == '_' || c == '\\') {
                pattern.push_back('\\');
            }
            pattern.push_back(c);
        }
        pattern.push_back('%');
        std::vector<std::string> types;
        for (const auto t : domain::all_session_types()) {
            const auto name = domain::localized_name(t);
            for (std::size_t i = 0; i + f.text->size() <= name.size(); ++i) {
                if (util::iequals(name.substr(i, f.text->size()), *f.text)) {
                    types.emplace_back(domain::to_string(t));
                    break;
                }
            }
        }
        add("(policy_name ILIKE " + next(pattern) + " OR type = ANY(" + next(text_array(types)) + "::text[]))");
    }
    if (f.usn_after) {
        add("usn > " + next(param(*f.usn_after)));
    }
    if (f.created_by) {
        add("created_by = " + next(param(*f.created_by)));
    }
    return sql;
}

std::string page_statement(const SessionFilter& filter, std::int64_t offset, std::int64_t limit, bool with_version,
                           std::vector<Param>& params)
{
    // The keys from the list's index, then their rows by id: the rows of the sessions skipped are not read.
    const auto sessions = "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS
                          " FROM sessions WHERE id = ANY(ARRAY(SELECT id FROM (" +
                          page_keys_statement(filter, offset, limit, params) + ") AS k))";
    if (!with_version) {
        return sessions + " ORDER BY start_time DESC, id DESC";
    }
    return "SELECT page.*, v.version FROM (SELECT " JOBSESSIONS_PG_SESSIONS_VERSION
           " AS version) AS v LEFT JOIN LATERAL (" +
           sessions + ") AS page ON true ORDER BY page.start_time DESC, page.id DESC";
}

Result<std::int64_t> count_matching(Counter& counter, const SessionFilter& filter)
{
    std::vector<Param> params;
    if (!counts_place(filter)) {
        return counter.single("SELECT count(*) FROM sessions" + where_of(filter, params), params);
    }
    if (!filter.from && !filter.to) {
        return counter.single(std::string("SELECT coalesce(sum(n), 0)::bigint FROM ") + totals_of(filter) +
                                  where_of(filter, params),
                              params);
    }
    const auto window = window_of(filter);
    std::string sum;
    if (window.whole_days) {
        sum = std::string("(SELECT coalesce(sum(n), 0) FROM ") + time_totals_of(filter) +
              where_in_buckets(filter, buckets_of(window.first_day, window.end_day), params) + ")";
    }
    for (const auto& edge : window.edges) {
        sum += (sum.empty() ? "" : " + ") + counted_in_index(filter, edge, params);
    }
    return counter.single("SELECT (" + sum + ")::bigint", params);
}

Result<PageStart> seek_page(Counter& counter, const SessionFilter& filter, std::int64_t offset)
{
    PageStart start{filter.to, offset};
    if (offset < kSeekFromOffset || !counts_place(filter)) {
        return start;
    }
    const auto window = window_of(filter);
    if (!window.whole_days) {
        return start;
    }
    // The part of a day at the window's newest end comes first.
    if (filter.to && *window.end_day * kMicrosPerDay < *filter.to) {
        std::vector<Param> params;
        auto newest = counter.single("SELECT " + counted_in_index(filter, window.edges.front(), params), params);
        if (!newest) {
            return newest.error();
        }
        if (start.offset < *newest) {
            return start;
        }
        start.offset -= *newest;
        start.to = *window.end_day * kMicrosPerDay;
    }
    auto counts = bucket_counts(counter, filter, buckets_of(window.first_day, window.end_day));
    if (!counts) {
        return counts.error();
    }
    for (const auto& bucket : *counts) {
        if (start.offset < bucket.n && bucket.span == 1) {
            start.to = (bucket.bucket + 1) * kMicrosPerDay;
            return start;
        }
        if (start.offset < bucket.n) {
            // The page starts in this period: find its day.
            auto days =
                bucket_counts(counter, filter, {Buckets{1, bucket.first_day(), bucket.first_day() + kDaysPerPeriod}});
            if (!days) {
                return days.error();
            }
            for (const auto& day : *days) {
                if (start.offset < day.n) {
                    start.to = (day.bucket + 1) * kMicrosPerDay;
                    return start;
                }
                start.offset -= day.n;
                start.to = day.bucket * kMicrosPerDay;
            }
            return start; // the period's days add up to less than its count: the page starts past them
        }
        start.offset -= bucket.n;
        start.to = bucket.first_day() * kMicrosPerDay;
    }
    return start; // in the part of a day at the window's oldest end, or past the end of the list
}

} // namespace jobsessions::store::postgres
