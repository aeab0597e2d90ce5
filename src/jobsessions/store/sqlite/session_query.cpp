// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/session_query.hpp"

#include "jobsessions/store/sqlite/list_cache.hpp"
#include "jobsessions/store/sqlite/session_counts.hpp"
#include "jobsessions/util/strings.hpp"
#include "jobsessions/util/time.hpp"

#include <algorithm>
#include <array>
#include <functional>

namespace jobsessions::store::sqlite {
namespace {

using Param = std::variant<std::int64_t, std::string>;

// The time buckets the aggregate tables count sessions in, coarsest first.
struct TimeLevel {
    util::Micros size;
    const char* column;
    const char* table;
    const char* policy_table;
};
constexpr std::array<TimeLevel, 4> kTimeLevels{{
    {kDaysPerPeriod * util::kMicrosPerDay, "period", "session_period_counts", "session_policy_period_counts"},
    {util::kMicrosPerDay, "day", "session_day_counts", "session_policy_day_counts"},
    {util::kMicrosPerHour, "hour", "session_hour_counts", "session_policy_hour_counts"},
    {util::kMicrosPerMinute, "minute", "session_minute_counts", "session_policy_minute_counts"},
}};

using util::ceil_div;
using util::floor_div;

// The index of the sessions' unique usn (SQLite names a constraint's index after its table), named by the
// statements that must read along it.
constexpr const char* kByUsn = " INDEXED BY sqlite_autoindex_sessions_1";

// A text filter whose text is in more policy names than this walks all sessions rather than a range per policy
// (its matches are then frequent, and so many ranges cost more to open than to merge).
constexpr std::size_t kTextPoliciesAtMost = 32;

// The policies any session recorded with a name containing ?1 (a LIKE pattern).
const std::string kPoliciesNamedLike =
    "SELECT DISTINCT policy_id FROM session_policy_totals WHERE policy_name LIKE ?1 ESCAPE '\\' ORDER BY policy_id";

template <class T> std::vector<T> unique(std::vector<T> values)
{
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
}

// Escapes LIKE wildcards so the filter text matches literally.
std::string like_pattern(std::string_view text)
{
    std::string pattern = "%";
    for (const char c : text) {
        if (c == '%' || c == '_' || c == '\\') {
            pattern.push_back('\\');
        }
        pattern.push_back(c);
    }
    pattern.push_back('%');
    return pattern;
}

// The types whose localized name contains `text`, without regard to ASCII case.
std::vector<domain::SessionType> types_named_like(std::string_view text)
{
    std::vector<domain::SessionType> found;
    for (const auto type : domain::all_session_types()) {
        const auto name = domain::localized_name(type);
        for (std::size_t i = 0; i + text.size() <= name.size(); ++i) {
            if (util::iequals(name.substr(i, text.size()), text)) {
                found.push_back(type);
                break;
            }
        }
    }
    return found;
}

/// Accumulates AND-ed conditions with numbered parameters.
struct Conditions {
    std::vector<std::string> parts;
    std::vector<Param> params;

    std::string param(Param value)
    {
        params.push_back(std::move(value));
        return "?" + std::to_string(params.size());
    }
    void add(std::string condition) { parts.push_back(std::move(condition)); }
    /// `column [NOT] IN (...)` over the wire names of `values` (types or statuses).
    template <class Values> void add_in(const char* column, const Values& values, bool negate = false)
    {
        std::string condition = std::string(column) + (negate ? " NOT IN (" : " IN (");
        bool first = true;
        for (const auto v : values) {
            condition += first ? "" : ", ";
            condition += param(std::string(domain::to_string(v)));
            first = false;
        }
        parts.push_back(condition + ")");
    }
    [[nodiscard]] std::string where() const
    {
        std::string out;
        for (const auto& p : parts) {
            out += out.empty() ? " WHERE " : " AND ";
            out += p;
        }
        return out;
    }
};

// `Filter`: the policy name contains the text, or the type's localized name does.
void add_text_condition(Conditions& c, std::string_view text)
{
    std::string condition = "(policy_name LIKE " + c.param(like_pattern(text)) + " ESCAPE '\\'";
    for (const auto type : types_named_like(text)) {
        condition += " OR type = " + c.param(std::string(domain::to_string(type)));
    }
    c.add(condition + ")");
}

// One range of an index a list walks: the index, and the column = value pairs that fix its leading columns.
struct Range {
    const char* index;
    std::vector<std::pair<const char*, Param>> equals;
    // A text filter's range of one policy: the session's policy name must contain the text, and its type must not
    // be one named like the text (the type's own range lists those).
    bool checks_policy_name = false;
};

// How a filter is walked: the ranges of indexes whose merged lists are the filter's list.
struct Drive {
    std::vector<Range> ranges{{"sessions_by_start", {}}};
    bool by_type = false;
    bool by_status = false;
    bool by_policy = false;
    bool by_creator = false;
    bool by_text = false;
};

Drive choose_drive(const SessionFilter& f, const TextMatches* text = nullptr)
{
    Drive d;
    const auto types = unique(f.types);
    const auto statuses = unique(f.statuses);
    if (!types.empty() && !statuses.empty()) {
        d.ranges.clear();
        for (const auto t : types) {
            for (const auto s : statuses) {
                d.ranges.push_back(
                    {"sessions_by_type_status",
                     {{"type", std::string(domain::to_string(t))}, {"status", std::string(domain::to_string(s))}}});
            }
        }
        d.by_type = d.by_status = true;
    } else if (!types.empty()) {
        d.ranges.clear();
        for (const auto t : types) {
            d.ranges.push_back({"sessions_by_type", {{"type", std::string(domain::to_string(t))}}});
        }
        d.by_type = true;
    } else if (!statuses.empty()) {
        d.ranges.clear();
        for (const auto s : statuses) {
            d.ranges.push_back({"sessions_by_status", {{"status", std::string(domain::to_string(s))}}});
        }
        d.by_status = true;
    } else if (f.policy_id) {
        d.ranges = {{"sessions_by_policy", {{"policy_id", *f.policy_id}}}};
        d.by_policy = true;
    } else if (text != nullptr && f.text) {
        d.ranges.clear();
        for (const auto& policy_id : text->policy_ids) {
            d.ranges.push_back({"sessions_by_policy", {{"policy_id", policy_id}}, true});
        }
        for (const auto type : types_named_like(*f.text)) {
            d.ranges.push_back({"sessions_by_type", {{"type", std::string(domain::to_string(type))}}});
        }
        d.by_text = true;
    } else if (f.created_by) {
        d.ranges = {{"sessions_by_creator", {{"created_by", *f.created_by}}}};
        d.by_creator = true;
    }
    return d;
}

// The conditions a drive range leaves to check row by row.
void add_residuals(Conditions& c, const SessionFilter& f, const Drive& d, const Range& range)
{
    if (f.policy_id && !d.by_policy) {
        c.add("policy_id = " + c.param(*f.policy_id));
    }
    if (f.created_by && !d.by_creator) {
        c.add("created_by = " + c.param(*f.created_by));
    }
    if (f.text && !f.text->empty() && !d.by_text) {
        add_text_condition(c, *f.text);
    }
    if (range.checks_policy_name) {
        c.add("policy_name LIKE " + c.param(like_pattern(*f.text)) + " ESCAPE '\\'");
        if (const auto named = types_named_like(*f.text); !named.empty()) {
            c.add_in("type", named, true);
        }
    }
    if (f.usn_after) {
        c.add("usn > " + c.param(*f.usn_after));
    }
}

std::vector<Query> range_queries(const SessionFilter& f, const std::string& select, std::optional<util::Micros> from,
                                 std::optional<util::Micros> to, bool ordered, std::optional<std::int64_t> limit,
                                 std::int64_t offset = 0, const TextMatches* text = nullptr)
{
    const Drive d = choose_drive(f, text);
    std::vector<Query> queries;
    for (const auto& range : d.ranges) {
        Conditions c;
        for (const auto& [column, value] : range.equals) {
            c.add(std::string(column) + " = " + c.param(value));
        }
        if (from) {
            c.add("start_time >= " + c.param(*from));
        }
        if (to) {
            c.add("start_time < " + c.param(*to));
        }
        add_residuals(c, f, d, range);
        Query q;
        q.sql = "SELECT " + select + " FROM sessions INDEXED BY " + range.index + c.where();
        if (ordered) {
            q.sql += " ORDER BY start_time DESC, id DESC";
        }
        if (limit) {
            q.sql += " LIMIT " + c.param(*limit);
        }
        if (offset > 0) {
            q.sql += " OFFSET " + c.param(offset);
        }
        q.params = std::move(c.params);
        queries.push_back(std::move(q));
    }
    return queries;
}

// One count: the connection, the filter, and where to note the query plans of the statements it runs (tests).
struct Counting {
    Connection& db;
    const SessionFilter& filter;
    std::string* plans = nullptr;
    /// Where counts per bucket are kept between requests (seek only), for readers of at least `snapshot_floor`.
    ListCache* cache = nullptr;
    std::uint64_t snapshot_floor = 0;
};

// `q` prepared (cached) and bound, its plan noted when the count notes plans.
Result<Statement> prepare_counting(const Counting& counting, const Query& q)
{
    auto stmt = counting.db.prepare_cached(q.sql);
    if (!stmt) {
        return stmt.error();
    }
    bind_all(*stmt, q.params);
    if (counting.plans != nullptr) {
        *counting.plans += stmt->query_plan();
    }
    return stmt;
}

Result<std::int64_t> single_integer(const Counting& counting, const Query& q)
{
    auto stmt = prepare_counting(counting, q);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return *row ? stmt->column_int64(0) : 0;
}

// Counts rows from the index, for a window small enough (an edge day) or a filter the totals cannot answer.
Result<std::int64_t> count_rows(const Counting& counting, std::optional<util::Micros> from,
                                std::optional<util::Micros> to)
{
    const SessionFilter& f = counting.filter;
    std::int64_t total = 0;
    for (const auto& q : range_queries(f, "count(*)", from, to, false, std::nullopt)) {
        auto n = single_integer(counting, q);
        if (!n) {
            return n.error();
        }
        total += *n;
    }
    return total;
}

// The conditions on `f`'s types, statuses and creator (columns of the sessions and of the aggregate tables alike)
// and, on an aggregate table of `level`, on its buckets numbered from `first` up to, not including, `end` (each
// optional); without a level, none on time.
Conditions count_conditions(const SessionFilter& f, const TimeLevel* level, std::optional<std::int64_t> first,
                            std::optional<std::int64_t> end)
{
    Conditions c;
    if (!f.types.empty()) {
        c.add_in("type", unique(f.types));
    }
    if (!f.statuses.empty()) {
        c.add_in("status", unique(f.statuses));
    }
    if (f.created_by) {
        c.add("created_by = " + c.param(*f.created_by));
    }
    if (level != nullptr && first) {
        c.add(std::string(level->column) + " >= " + c.param(*first));
    }
    if (level != nullptr && end) {
        c.add(std::string(level->column) + " < " + c.param(*end));
    }
    return c;
}

// Sums the kept counts of the sessions matching `f` in the buckets of `level` numbered from `first` up to, not
// including, `end` (each optional); without a level, the totals without time serve. Policy and text filters read
// the policy tables; a text filter also matches types by their localized names, counted from the plain tables.
Result<std::int64_t> count_buckets(const Counting& counting, const TimeLevel* level, std::optional<std::int64_t> first,
                                   std::optional<std::int64_t> end)
{
    const SessionFilter& f = counting.filter;
    const bool has_text = f.text && !f.text->empty();
    const auto named_types = has_text ? types_named_like(*f.text) : std::vector<domain::SessionType>{};

    // One SUM over one table: the common conditions, plus `extra`.
    auto sum = [&](bool policy_table, const std::function<void(Conditions&)>& extra) -> Result<std::int64_t> {
        Conditions c = count_conditions(f, level, first, end);
        extra(c);
        const char* table = level == nullptr ? (policy_table ? "session_policy_totals" : "session_totals")
                                             : (policy_table ? level->policy_table : level->table);
        return single_integer(counting,
                              Query{std::string("SELECT coalesce(sum(n), 0) FROM ") + table + c.where(), c.params});
    };
    if (f.policy_id) {
        return sum(true, [&](Conditions& c) {
            c.add("policy_id = " + c.param(*f.policy_id));
            if (has_text) {
                add_text_condition(c, *f.text);
            }
        });
    }
    if (!has_text) {
        return sum(false, [](Conditions&) {});
    }
    // Text: sessions whose policy name matches, except those of a matching type, which the second sum counts
    // whether they have a policy or not.
    auto by_name = sum(true, [&](Conditions& c) {
        c.add("policy_name LIKE " + c.param(like_pattern(*f.text)) + " ESCAPE '\\'");
        if (!named_types.empty()) {
            c.add_in("type", named_types, true);
        }
    });
    if (!by_name || named_types.empty()) {
        return by_name;
    }
    auto by_type = sum(false, [&](Conditions& c) { c.add_in("type", named_types); });
    if (!by_type) {
        return by_type;
    }
    return *by_name + *by_type;
}

// Up to this many sessions of a bucket are counted from the index rather than from finer buckets: where sessions
// are sparse, the finer tables hold about a row per session and summing them costs more than counting.
constexpr std::int64_t kRowsCountedAtMost = 2000;

Result<std::int64_t> count_range(const Counting& counting, std::size_t level, std::optional<util::Micros> from,
                                 std::optional<util::Micros> to);

// The sessions matching `f` that started in [from, to), a part of bucket `bucket` of `level`. A sparse bucket's
// part is counted from the index — the part itself, or the rest of the bucket, whichever is shorter, taken from
// the bucket's kept count; a busy bucket's part is counted from the next finer level.
Result<std::int64_t> count_part(const Counting& counting, std::size_t level, std::int64_t bucket, util::Micros from,
                                util::Micros to)
{
    const TimeLevel& unit = kTimeLevels[level];
    auto in_bucket = count_buckets(counting, &unit, bucket, bucket + 1);
    if (!in_bucket || *in_bucket == 0) {
        return in_bucket;
    }
    if (*in_bucket > kRowsCountedAtMost && level + 1 < kTimeLevels.size()) {
        return count_range(counting, level + 1, from, to);
    }
    if (2 * (to - from) <= unit.size) {
        return count_rows(counting, from, to);
    }
    const util::Micros bucket_start = bucket * unit.size;
    for (const auto& [rest_from, rest_to] : {std::pair{bucket_start, from}, std::pair{to, bucket_start + unit.size}}) {
        if (rest_from < rest_to) {
            auto rest = count_rows(counting, rest_from, rest_to);
            if (!rest) {
                return rest;
            }
            *in_bucket -= *rest;
        }
    }
    return in_bucket;
}

// The sessions matching `f` that started in [from, to) (each optional): the whole buckets of `level` inside the
// window from its table, and the parts of a bucket at either end by count_part. However many sessions a day
// holds, at most a few thousand of them are counted row by row.
Result<std::int64_t> count_range(const Counting& counting, std::size_t level, std::optional<util::Micros> from,
                                 std::optional<util::Micros> to)
{
    const TimeLevel& unit = kTimeLevels[level];
    const auto first = from ? std::optional(ceil_div(*from, unit.size)) : std::nullopt;
    const auto end = to ? std::optional(floor_div(*to, unit.size)) : std::nullopt;
    if (first && end && *first > *end && level == 0) {
        // Inside one period: its days count it as cheaply as a look at the period's own count would decide how.
        return count_range(counting, 1, from, to);
    }
    if (first && end && *first > *end) {
        return count_part(counting, level, *end, *from, *to); // inside one bucket
    }
    Result<std::int64_t> total = std::int64_t{0};
    if (!first || !end || *first < *end) {
        total = count_buckets(counting, &unit, first, end);
    }
    if (total && from && *from < *first * unit.size) {
        auto part = count_part(counting, level, *first - 1, *from, *first * unit.size);
        if (!part) {
            return part;
        }
        *total += *part;
    }
    if (total && to && *end * unit.size < *to) {
        auto part = count_part(counting, level, *end, *end * unit.size, *to);
        if (!part) {
            return part;
        }
        *total += *part;
    }
    return total;
}

// Whether the kept counts can place an offset: they count by type, status, creator and policy, not by text or usn.
bool counts_can_seek(const SessionFilter& f)
{
    return !f.usn_after && !(f.text && !f.text->empty());
}

// The kept counts per bucket of `level` of the sessions matching `f`, from bucket `first` up to, not including,
// `end` (each optional), newest first, read by the table's key; from the cache when it holds them.
Result<std::shared_ptr<const ListCache::BucketCounts>> bucket_counts(const Counting& counting, std::size_t level,
                                                                     std::optional<std::int64_t> first,
                                                                     std::optional<std::int64_t> end)
{
    const SessionFilter& f = counting.filter;
    const TimeLevel& unit = kTimeLevels[level];
    if (counting.cache != nullptr) {
        if (auto kept = counting.cache->find_buckets(f, level, unit.size, first, end, counting.snapshot_floor)) {
            return kept;
        }
    }
    Conditions c = count_conditions(f, &unit, first, end);
    if (f.policy_id) {
        c.add("policy_id = " + c.param(*f.policy_id));
    }
    const std::string column = unit.column;
    auto stmt = prepare_counting(counting, Query{"SELECT " + column + ", sum(n) FROM " +
                                                     (f.policy_id ? unit.policy_table : unit.table) + c.where() +
                                                     " GROUP BY " + column + " ORDER BY " + column + " DESC",
                                                 c.params});
    if (!stmt) {
        return stmt.error();
    }
    auto counts = read_rows<std::pair<std::int64_t, std::int64_t>>(
        *stmt, [](const Statement& row) -> Result<std::pair<std::int64_t, std::int64_t>> {
            return std::pair{row.column_int64(0), row.column_int64(1)};
        });
    if (!counts) {
        return counts.error();
    }
    auto shared = std::make_shared<const ListCache::BucketCounts>(std::move(*counts));
    if (counting.cache != nullptr) {
        counting.cache->keep_buckets(f, level, first, end, shared, counting.snapshot_floor);
    }
    return shared;
}

// Where the list of the sessions matching `f` that started in [from, to) reaches `offset`: the upper edge of a
// narrower window whose list starts there after skipping `PageStart::offset` sessions. Whole buckets of `level`
// are passed over by their kept counts, newest first; the bucket the offset falls in is searched the same way at
// the next finer level, until at most kRowsCountedAtMost sessions, or those of one minute, are left to skip.
Result<PageStart> seek_offset(const Counting& counting, std::size_t level, std::optional<util::Micros> from,
                              std::optional<util::Micros> to, std::int64_t offset)
{
    if (offset <= kRowsCountedAtMost) {
        return PageStart{to, offset};
    }
    const TimeLevel& unit = kTimeLevels[level];
    // Goes on in the narrower window [narrowed_from, narrowed_to) with `left` sessions still to skip.
    auto narrow = [&](std::optional<util::Micros> narrowed_from, util::Micros narrowed_to,
                      std::int64_t left) -> Result<PageStart> {
        if (level + 1 == kTimeLevels.size()) {
            return PageStart{narrowed_to, left};
        }
        return seek_offset(counting, level + 1, narrowed_from, narrowed_to, left);
    };
    const auto first = from ? std::optional(ceil_div(*from, unit.size)) : std::nullopt;
    const auto end = to ? std::optional(floor_div(*to, unit.size)) : std::nullopt;
    if (first && end && *first > *end) {
        return narrow(from, *to, offset); // inside one bucket
    }
    if (to && *end * unit.size < *to) { // the newest sessions: the part of a bucket at the upper edge
        auto part = count_part(counting, level, *end, *end * unit.size, *to);
        if (!part) {
            return part.error();
        }
        if (offset < *part) {
            return narrow(*end * unit.size, *to, offset);
        }
        offset -= *part;
    }
    std::optional<std::int64_t> reached; // the whole bucket the offset falls in
    {
        auto buckets = bucket_counts(counting, level, first, end);
        if (!buckets) {
            return buckets.error();
        }
        for (const auto& [bucket, in_bucket] : **buckets) {
            if (offset < in_bucket) {
                reached = bucket;
                break;
            }
            offset -= in_bucket;
        }
    }
    if (reached) {
        return narrow(*reached * unit.size, (*reached + 1) * unit.size, offset);
    }
    if (!first) {
        return PageStart{to, offset}; // past the oldest session: the page is empty
    }
    return narrow(from, *first * unit.size, offset); // the part of a bucket at the lower edge
}

// Every condition of `f` except its usn, checked row by row: for statements that read along the usn index.
Conditions all_but_usn(const SessionFilter& f)
{
    Conditions c = count_conditions(f, nullptr, std::nullopt, std::nullopt);
    if (f.policy_id) {
        c.add("policy_id = " + c.param(*f.policy_id));
    }
    if (f.text && !f.text->empty()) {
        add_text_condition(c, *f.text);
    }
    if (f.from) {
        c.add("start_time >= " + c.param(*f.from));
    }
    if (f.to) {
        c.add("start_time < " + c.param(*f.to));
    }
    return c;
}

// Whether at most kRowsCountedAtMost sessions have a usn on the `side` (">" or "<=") of `usn`: counted in the usn
// index, which the count stops reading past that many.
Result<bool> few_on_side_of_usn(const Counting& counting, const char* side, std::int64_t usn)
{
    Conditions c;
    c.add(std::string("usn ") + side + " " + c.param(usn));
    auto n = single_integer(counting, Query{"SELECT count(*) FROM (SELECT 1 FROM sessions" + std::string(kByUsn) +
                                                c.where() + " LIMIT " + std::to_string(kRowsCountedAtMost + 1) + ")",
                                            c.params});
    if (!n) {
        return n.error();
    }
    return *n <= kRowsCountedAtMost;
}

// The sessions matching `f` (but for its usn) whose usn is on the `side` of `usn`, counted along the usn index.
Result<std::int64_t> count_by_usn(const Counting& counting, const char* side, std::int64_t usn)
{
    Conditions c = all_but_usn(counting.filter);
    c.add(std::string("usn ") + side + " " + c.param(usn));
    return single_integer(counting, Query{"SELECT count(*) FROM sessions" + std::string(kByUsn) + c.where(), c.params});
}

} // namespace

const char* const kSessionColumns =
    "id, type, status, start_time, stop_time, usn, created_by, policy_id, policy_name, protected_instances_count,"
    " policy_removed, restore_reason, restore_policy_name, repository_id, repository_name, repository_removed,"
    " retention_deleted_count";

Result<domain::JobSession> read_session(const Statement& row)
{
    domain::JobSession s;
    s.id = row.column_int64(0);
    const auto type = domain::parse_session_type(row.column_text(1));
    const auto status = domain::parse_session_status(row.column_text(2));
    if (!type || !status) {
        return StoreError{StoreErrc::Corrupt, "session " + std::to_string(s.id) + " has an unknown type or status"};
    }
    s.type = *type;
    s.status = *status;
    s.start_time = row.column_int64(3);
    s.stop_time = row.column_optional_int64(4);
    s.usn = row.column_int64(5);
    s.created_by = row.column_int64(6);
    if (!row.column_is_null(7)) {
        s.backup_info = domain::BackupJobInfo{std::string(row.column_text(7)), std::string(row.column_text(8)),
                                              row.column_int64(9), row.column_int64(10) != 0};
    }
    if (!row.column_is_null(11)) {
        s.restore_info = domain::RestoreJobInfo{std::string(row.column_text(11)), std::string(row.column_text(12))};
    }
    if (!row.column_is_null(13)) {
        s.repository_info = domain::RepositoryJobInfo{std::string(row.column_text(13)),
                                                      std::string(row.column_text(14)), row.column_int64(15) != 0};
    }
    if (!row.column_is_null(16)) {
        s.retention_info = domain::RetentionJobInfo{row.column_int64(16)};
    }
    return s;
}

void bind_all(Statement& stmt, const std::vector<Param>& params)
{
    int index = 1;
    for (const auto& p : params) {
        if (const auto* i = std::get_if<std::int64_t>(&p)) {
            stmt.bind(index, *i);
        } else {
            stmt.bind(index, std::string_view(std::get<std::string>(p)));
        }
        ++index;
    }
}

Result<ListSource> list_source(Connection& db, const SessionFilter& filter)
{
    ListSource source;
    if (filter.usn_after) {
        auto few = few_on_side_of_usn(Counting{db, filter}, ">", *filter.usn_after);
        if (!few) {
            return few.error();
        }
        source.few_changed_after_usn = *few;
    }
    if (!filter.text || filter.text->empty() || !filter.types.empty() || !filter.statuses.empty() || filter.policy_id) {
        return source;
    }
    auto stmt = db.prepare_cached(kPoliciesNamedLike);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, std::string_view(like_pattern(*filter.text)));
    TextMatches matches;
    for (;;) {
        auto row = stmt->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        if (matches.policy_ids.size() == kTextPoliciesAtMost) {
            return source;
        }
        matches.policy_ids.emplace_back(stmt->column_text(0));
    }
    source.text = std::move(matches);
    return source;
}

std::vector<Query> list_queries(const SessionFilter& filter, std::optional<std::int64_t> limit,
                                const ListSource& source)
{
    if (source.few_changed_after_usn) {
        Conditions c = all_but_usn(filter);
        c.add("usn > " + c.param(filter.usn_after.value_or(0)));
        Query q;
        q.sql = std::string("SELECT ") + kSessionColumns + " FROM sessions" + kByUsn + c.where() +
                " ORDER BY start_time DESC, id DESC";
        if (limit) {
            q.sql += " LIMIT " + c.param(*limit);
        }
        q.params = std::move(c.params);
        return {q};
    }
    const TextMatches* text = source.text ? &*source.text : nullptr;
    return range_queries(filter, kSessionColumns, filter.from, filter.to, true, limit, 0, text);
}

KeyQueries list_key_queries(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                            const ListSource& source)
{
    const TextMatches* text = source.text ? &*source.text : nullptr;
    KeyQueries keys;
    if (choose_drive(filter, text).ranges.size() == 1) {
        // One range: SQLite skips the offset inside its own loop over the index.
        keys.queries = range_queries(filter, "start_time, id, usn", filter.from, filter.to, true, limit, offset, text);
    } else {
        keys.queries =
            range_queries(filter, "start_time, id, usn", filter.from, filter.to, true, offset + limit, 0, text);
        keys.skip = offset;
    }
    return keys;
}

Result<MergedScan> MergedScan::open(Connection& db, const std::vector<Query>& queries, bool keys_only)
{
    MergedScan scan;
    scan.keys_only_ = keys_only;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const auto& q = queries[i];
        // Ranges of one filter share their text (only the bound values differ): the first takes the cached
        // statement, the others prepare their own.
        const bool repeated = std::any_of(queries.begin(), queries.begin() + static_cast<std::ptrdiff_t>(i),
                                          [&](const Query& earlier) { return earlier.sql == q.sql; });
        auto stmt = repeated ? db.prepare_owned(q.sql) : db.prepare_cached(q.sql);
        if (!stmt) {
            return stmt.error();
        }
        bind_all(*stmt, q.params);
        scan.streams_.push_back(Stream{std::move(*stmt), {}, false});
    }
    for (auto& stream : scan.streams_) {
        if (auto r = scan.advance(stream); !r) {
            return r.error();
        }
    }
    return scan;
}

Result<void> MergedScan::advance(Stream& stream)
{
    auto row = stream.statement.step();
    if (!row) {
        return row.error();
    }
    stream.has_head = *row;
    if (*row && keys_only_) {
        stream.head.start_time = stream.statement.column_int64(0);
        stream.head.id = stream.statement.column_int64(1);
        stream.head.usn = stream.statement.column_int64(2);
    } else if (*row) {
        auto session = read_session(stream.statement);
        if (!session) {
            return session.error();
        }
        stream.head = std::move(*session);
    }
    return {};
}

Result<bool> MergedScan::next(domain::JobSession& out)
{
    Stream* best = nullptr;
    for (auto& s : streams_) {
        if (!s.has_head) {
            continue;
        }
        if (best == nullptr || s.head.start_time > best->head.start_time ||
            (s.head.start_time == best->head.start_time && s.head.id > best->head.id)) {
            best = &s;
        }
    }
    if (best == nullptr) {
        return false;
    }
    out = std::move(best->head);
    if (auto r = advance(*best); !r) {
        return r.error();
    }
    return true;
}

std::string MergedScan::query_plans() const
{
    std::string plans;
    for (const auto& s : streams_) {
        plans += s.statement.query_plan();
    }
    return plans;
}

Result<PageStart> seek_page(Connection& db, const SessionFilter& filter, std::int64_t offset, ListCache* cache,
                            std::uint64_t snapshot_floor, std::string* plans)
{
    if (!counts_can_seek(filter) || (filter.from && filter.to && *filter.from >= *filter.to)) {
        return PageStart{filter.to, offset};
    }
    // Statements whose plans are asked for are run, not taken from the cache.
    return seek_offset(Counting{db, filter, plans, plans == nullptr ? cache : nullptr, snapshot_floor}, 0, filter.from,
                       filter.to, offset);
}

Result<std::int64_t> count_matching(Connection& db, const SessionFilter& f, std::string* plans,
                                    const ListSource* source)
{
    const Counting counting{db, f, plans};
    if (f.usn_after) {
        // Counted along the usn index on the side of the usn that holds fewer sessions: those changed after it
        // (an incremental poll), or those at or before it (a first sync), less from the filter's aggregate count.
        auto few_after = source != nullptr ? Result<bool>(source->few_changed_after_usn)
                                           : few_on_side_of_usn(counting, ">", *f.usn_after);
        if (!few_after || *few_after) {
            return few_after ? count_by_usn(counting, ">", *f.usn_after) : few_after.error();
        }
        auto few_before = few_on_side_of_usn(counting, "<=", *f.usn_after);
        if (!few_before) {
            return few_before.error();
        }
        if (!*few_before) { // many on both sides: the side spanning fewer usns
            auto lowest = single_integer(counting, Query{"SELECT min(usn) FROM sessions", {}});
            auto highest = single_integer(counting, Query{"SELECT max(usn) FROM sessions", {}});
            if (!lowest || !highest) {
                return !lowest ? lowest : highest;
            }
            if (*highest - *f.usn_after <= *f.usn_after - *lowest) {
                return count_by_usn(counting, ">", *f.usn_after);
            }
        }
        SessionFilter any_usn = f;
        any_usn.usn_after.reset();
        auto all = count_matching(db, any_usn, plans);
        if (!all) {
            return all;
        }
        auto before = count_by_usn(Counting{db, any_usn, plans}, "<=", *f.usn_after);
        return before ? Result<std::int64_t>(*all - *before) : before;
    }
    if (f.from && f.to && *f.from >= *f.to) {
        return 0;
    }
    if (!f.from && !f.to) {
        return count_buckets(counting, nullptr, std::nullopt, std::nullopt);
    }
    return count_range(counting, 0, f.from, f.to);
}

} // namespace jobsessions::store::sqlite
