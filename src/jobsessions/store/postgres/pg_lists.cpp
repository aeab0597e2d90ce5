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

/// A time window cut at the starts of the finest buckets of its filter's counts (hours, or days for a policy:
/// finest_span): the whole buckets [first, end) (either end open; in minutes since 1970, each the start of a
/// bucket) and the parts of buckets at its edges, newest first. A window within a bucket or across one bucket's
/// start has no whole bucket, only one edge.
struct Window {
    std::int64_t finest = kHourSpan;
    std::optional<std::int64_t> first;
    std::optional<std::int64_t> end;
    bool whole = true;
    struct Edge {
        std::optional<util::Micros> from;
        std::optional<util::Micros> to;
    };
    std::vector<Edge> edges;
};

Window window_of(const SessionFilter& f)
{
    Window w;
    w.finest = finest_span(f.policy_id.has_value());
    const auto length = w.finest * util::kMicrosPerMinute;
    std::optional<util::Micros> first_time;
    std::optional<util::Micros> end_time;
    if (f.from) {
        first_time = ceil_div(*f.from, length) * length;
        w.first = *first_time / util::kMicrosPerMinute;
    }
    if (f.to) {
        end_time = floor_div(*f.to, length) * length;
        w.end = *end_time / util::kMicrosPerMinute;
    }
    if (w.first && w.end && *w.first >= *w.end) {
        w.whole = false;
        w.edges.push_back({f.from, f.to});
        return w;
    }
    if (f.to && *end_time < *f.to) {
        w.edges.push_back({end_time, f.to});
    }
    if (f.from && *f.from < *first_time) {
        w.edges.push_back({f.from, first_time});
    }
    return w;
}

/// Buckets [lo, hi) of one span of the per-time counts (either end open).
struct Buckets {
    std::int64_t span = kHourSpan;
    std::optional<std::int64_t> lo;
    std::optional<std::int64_t> hi;
};

/// Adds the buckets that make up [first, end) (in minutes, at starts of buckets of the span `finest`) to `out`: the
/// whole buckets of the span kSpans[level], then the finer ones before and after them.
void add_buckets(std::optional<std::int64_t> first, std::optional<std::int64_t> end, std::size_t level,
                 std::int64_t finest, std::vector<Buckets>& out)
{
    if (first && end && *first >= *end) {
        return;
    }
    const auto span = kSpans.at(level);
    if (span == finest) {
        out.push_back(Buckets{span, first ? std::optional(*first / span) : std::nullopt,
                              end ? std::optional(*end / span) : std::nullopt});
        return;
    }
    const auto lo = first ? std::optional(ceil_div(*first, span)) : std::nullopt;
    const auto hi = end ? std::optional(floor_div(*end, span)) : std::nullopt;
    if (lo && hi && *lo >= *hi) {
        add_buckets(first, end, level + 1, finest, out);
        return;
    }
    out.push_back(Buckets{span, lo, hi});
    if (first) {
        add_buckets(first, *lo * span, level + 1, finest, out);
    }
    if (end) {
        add_buckets(*hi * span, end, level + 1, finest, out);
    }
}

/// The buckets that make up a window's whole buckets: whole periods, whole days, and hours.
std::vector<Buckets> buckets_of(const Window& window)
{
    std::vector<Buckets> all;
    add_buckets(window.first, window.end, 0, window.finest, all);
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

/// A bucket's count: the sessions of an hour, a day or a period.
struct BucketCount {
    std::int64_t span = kHourSpan;
    std::int64_t bucket = 0;
    std::int64_t n = 0;
    /// Its first minute (since 1970).
    [[nodiscard]] std::int64_t first() const { return bucket * span; }
    [[nodiscard]] util::Micros start_time() const { return first() * util::kMicrosPerMinute; }
    [[nodiscard]] util::Micros end_time() const { return (first() + span) * util::kMicrosPerMinute; }
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
              [](const BucketCount& a, const BucketCount& b) { return a.first() > b.first(); });
    return counts;
}

/// `filter` as one filter per value of its types, when it has several, or else of its statuses; empty when it has
/// at most one of each. Each value once.
std::vector<SessionFilter> split_by_value(const SessionFilter& filter)
{
    const auto split = [&filter](const auto& values, auto member) {
        auto distinct = values;
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        std::vector<SessionFilter> parts;
        if (distinct.size() > 1) {
            for (const auto value : distinct) {
                auto& part = parts.emplace_back(filter);
                part.*member = {value};
            }
        }
        return parts;
    };
    auto parts = split(filter.types, &SessionFilter::types);
    return parts.empty() ? split(filter.statuses, &SessionFilter::statuses) : parts;
}

/// The statement reading the keys of a page (id, usn and start time, newest first), its parameters appended to
/// `params`.
std::string page_keys_statement(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                                std::vector<Param>& params)
{
    if (!counts_place(filter)) {
        // A text or usn filter is planned with its values, which choose between an index and a full scan.
        const auto where = where_of(filter, params);
        const auto skip = placeholder(params, offset);
        const auto take = placeholder(params, limit);
        return "SELECT id, usn, start_time FROM sessions" + where + " ORDER BY start_time DESC, id DESC OFFSET " +
               skip + " LIMIT " + take;
    }
    // The numbers as one-row subqueries, whose values the planner does not see: then the plan it makes without the
    // parameters' values costs no more than those it makes with them, and the prepared statement keeps that one plan
    // (planning it again for every page cost PostgreSQL as much as running it). Lists of these filters have one good
    // plan whatever the values: a scan of the filter's index, in order.
    const auto hidden = [&params](std::int64_t value) { return "(SELECT " + placeholder(params, value) + "::bigint)"; };
    std::string from = "sessions";
    if (const auto parts = split_by_value(filter); !parts.empty()) {
        // Several types (or statuses): the first sessions of each from its own index, merged in order. In one scan,
        // a plan made without the values walks the index of start times and drops the sessions of other values one
        // by one: all of it when the values are rare.
        const auto each = hidden(offset + limit);
        std::string merged;
        for (const auto& part : parts) {
            merged += std::string(merged.empty() ? "(" : " UNION ALL (") + "SELECT id, usn, start_time FROM sessions" +
                      where_of(part, params) + " ORDER BY start_time DESC, id DESC LIMIT " + each + ")";
        }
        from = "(" + merged + ") AS merged";
    } else {
        from += where_of(filter, params);
    }
    const auto skip = hidden(offset);
    const auto take = hidden(limit);
    return "SELECT id, usn, start_time FROM " + from + " ORDER BY start_time DESC, id DESC OFFSET " + skip + " LIMIT " +
           take;
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
    if (window.whole) {
        sum = std::string("(SELECT coalesce(sum(n), 0) FROM ") + time_totals_of(filter) +
              where_in_buckets(filter, buckets_of(window), params) + ")";
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
    if (!window.whole) {
        return start;
    }
    // The part of a bucket at the window's newest end comes first.
    if (window.end && *window.end * util::kMicrosPerMinute < *filter.to) {
        std::vector<Param> params;
        auto newest = counter.single("SELECT " + counted_in_index(filter, window.edges.front(), params), params);
        if (!newest) {
            return newest.error();
        }
        if (start.offset < *newest) {
            return start;
        }
        start.offset -= *newest;
        start.to = *window.end * util::kMicrosPerMinute;
    }
    // Newest bucket first, each passed over by its count, until the one the page starts in: then its finer buckets,
    // down to the finest.
    auto counts = bucket_counts(counter, filter, buckets_of(window));
    if (!counts) {
        return counts.error();
    }
    std::size_t next = 0;
    while (next < counts->size()) {
        const auto bucket = (*counts)[next++];
        if (start.offset >= bucket.n) {
            start.offset -= bucket.n;
            start.to = bucket.start_time();
            continue;
        }
        start.to = bucket.end_time();
        if (bucket.span == window.finest) {
            return start;
        }
        const auto finer = bucket.span == kPeriodSpan ? kDaySpan : kHourSpan;
        counts = bucket_counts(counter, filter,
                               {Buckets{finer, bucket.first() / finer, (bucket.first() + bucket.span) / finer}});
        if (!counts) {
            return counts.error();
        }
        next = 0;
    }
    // In the part of a bucket at the window's oldest end, past the end of the list, or past the finer buckets of
    // one whose count was more than theirs.
    return start;
}

} // namespace jobsessions::store::postgres
