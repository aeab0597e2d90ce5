// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/json_input.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/session_filter_input.hpp"
#include "jobsessions/util/strings.hpp"

#include <charconv>

namespace jobsessions::api {
namespace {

enum class ExportFormat : std::uint8_t { Csv, Json };

// The q-value of one Accept item (`text/csv;q=0.5`): 1 when it has none, 0 when it is malformed (RFC 9110 §12.4.2).
double quality_of(std::string_view parameters)
{
    for (auto rest = parameters; !rest.empty();) {
        const auto semicolon = rest.find(';');
        const auto parameter = util::trim(rest.substr(0, semicolon));
        rest = semicolon == std::string_view::npos ? std::string_view{} : rest.substr(semicolon + 1);
        if (parameter.size() < 2 || !util::iequals(parameter.substr(0, 2), "q=")) {
            continue;
        }
        const auto value = parameter.substr(2);
        // "0", "0.x", "1", "1.0": at most three decimals.
        if (value.empty() || value.size() > 5 || (value[0] != '0' && value[0] != '1') ||
            (value.size() > 1 && value[1] != '.') ||
            value.find_first_not_of("0123456789", 2) != std::string_view::npos) {
            return 0;
        }
        double q = 0;
        const auto parsed = std::from_chars(value.data(), value.data() + value.size(), q);
        return parsed.ec != std::errc{} || q > 1 ? 0 : q;
    }
    return 1;
}

// Picks the format from Accept by q-value: the acceptable one the client prefers (CSV when it likes both the same,
// or sends no Accept); nullopt when neither is acceptable (406). A q of 0 means "not this".
std::optional<ExportFormat> format_for(std::string_view accept)
{
    if (util::trim(accept).empty()) {
        return ExportFormat::Csv;
    }
    // The quality of each format: from its own item, else from the most specific range that covers it.
    double csv = -1;
    double json = -1;
    int csv_specificity = -1;
    int json_specificity = -1;
    for (const auto item : util::split_list(accept)) {
        const auto semicolon = item.find(';');
        const auto media = util::trim(item.substr(0, semicolon));
        const double q = quality_of(semicolon == std::string_view::npos ? std::string_view{} : item.substr(semicolon));
        const auto take = [&](double& quality, int& specificity, int level) {
            if (level > specificity) {
                specificity = level;
                quality = q;
            }
        };
        if (util::iequals(media, "text/csv")) {
            take(csv, csv_specificity, 2);
        } else if (util::iequals(media, "application/json")) {
            take(json, json_specificity, 2);
        } else if (util::iequals(media, "text/*")) {
            take(csv, csv_specificity, 1);
        } else if (util::iequals(media, "application/*")) {
            take(json, json_specificity, 1);
        } else if (util::iequals(media, "*/*")) {
            take(csv, csv_specificity, 0);
            take(json, json_specificity, 0);
        }
    }
    if (csv <= 0 && json <= 0) {
        return std::nullopt;
    }
    return json > csv ? ExportFormat::Json : ExportFormat::Csv;
}

// Filters may come from the query, from a JSON body, or from both; one given in both is refused, since which
// should win is anybody's guess.
store::SessionFilter merge_filters(store::SessionFilter query, store::SessionFilter body, ApiError& errors)
{
    const auto twice = [&](const char* field) {
        errors.add(field, "Given both in the query and in the body; give it once.");
    };
    if (!query.types.empty() && !body.types.empty()) {
        twice("types");
    }
    if (!query.statuses.empty() && !body.statuses.empty()) {
        twice("status");
    }
    if (query.policy_id && body.policy_id) {
        twice("policyId");
    }
    if (query.from && body.from) {
        twice("fromUtc");
    }
    if (query.to && body.to) {
        twice("toUtc");
    }
    if (query.text && body.text) {
        twice("filter");
    }
    if (query.usn_after && body.usn_after) {
        twice("usn");
    }
    if (query.types.empty()) {
        query.types = std::move(body.types);
    }
    if (query.statuses.empty()) {
        query.statuses = std::move(body.statuses);
    }
    query.policy_id = query.policy_id ? query.policy_id : std::move(body.policy_id);
    query.from = query.from ? query.from : body.from;
    query.to = query.to ? query.to : body.to;
    query.text = query.text ? query.text : std::move(body.text);
    query.usn_after = query.usn_after ? query.usn_after : body.usn_after;
    return query;
}

// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
void append_csv_field(std::string& out, std::string_view field)
{
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
        out.append(field);
        return;
    }
    out.push_back('"');
    for (const char c : field) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

// A text cell that a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) is
// exported with a ' before it, as OWASP advises: it reads as the text it was.
void append_csv_text(std::string& out, std::string_view field)
{
    if (!field.empty() && std::string_view("=+-@\t\r").find(field.front()) != std::string_view::npos) {
        std::string neutral = "'";
        neutral.append(field);
        append_csv_field(out, neutral);
        return;
    }
    append_csv_field(out, field);
}

constexpr std::string_view kCsvHeader =
    "id,type,localizedType,executionStartTime,executionStopTime,executionDuration,status,usn,policyId,policyName,"
    "protectedInstancesCount,policyRemoved,reason,backupPolicyDisplayName,repositoryId,repositoryName,"
    "repositoryRemoved,deletedRestorePointsCount\r\n";

void append_csv_row(std::string& out, const domain::JobSession& s, util::Micros now)
{
    util::append_int(out, s.id);
    out.push_back(',');
    out.append(domain::to_string(s.type));
    out.push_back(',');
    out.append(domain::localized_name(s.type));
    out.push_back(',');
    util::append_timestamp(out, s.start_time);
    out.push_back(',');
    if (s.stop_time) {
        util::append_timestamp(out, *s.stop_time);
    }
    out.push_back(',');
    util::append_timespan(out, s.stop_time.value_or(std::max(now, s.start_time)) - s.start_time);
    out.push_back(',');
    out.append(domain::to_string(s.status));
    out.push_back(',');
    util::append_int(out, s.usn);
    out.push_back(',');
    if (s.backup_info) {
        append_csv_text(out, s.backup_info->policy_id);
        out.push_back(',');
        append_csv_text(out, s.backup_info->policy_name);
        out.push_back(',');
        util::append_int(out, s.backup_info->protected_instances_count);
        out.push_back(',');
        out.append(s.backup_info->policy_removed ? "true" : "false");
    } else {
        out.append(",,,");
    }
    out.push_back(',');
    if (s.restore_info) {
        append_csv_text(out, s.restore_info->reason);
        out.push_back(',');
        append_csv_text(out, s.restore_info->backup_policy_display_name);
    } else {
        out.push_back(',');
    }
    out.push_back(',');
    if (s.repository_info) {
        append_csv_text(out, s.repository_info->repository_id);
        out.push_back(',');
        append_csv_text(out, s.repository_info->repository_name);
        out.push_back(',');
        out.append(s.repository_info->repository_removed ? "true" : "false");
    } else {
        out.append(",,");
    }
    out.push_back(',');
    if (s.retention_info) {
        util::append_int(out, s.retention_info->deleted_restore_points_count);
    }
    out.append("\r\n");
}

/// Writes the export as the cursor walks: constant memory however many sessions match.
class ExportStream final : public http::BodySource {
public:
    ExportStream(std::unique_ptr<store::SessionCursor> cursor, ExportFormat format, const BaseUrl& base,
                 const util::Clock& clock)
        : cursor_(std::move(cursor))
        , format_(format)
        , scheme_(base.scheme)
        , authority_(base.authority)
        , clock_(clock)
    {
    }

    Step produce(std::string& out) override
    {
        if (!started_) {
            started_ = true;
            out.append(format_ == ExportFormat::Csv ? kCsvHeader : "[");
        }
        const auto now = clock_.now();
        domain::JobSession session;
        while (out.size() < kPieceBytes) {
            auto more = cursor_->next(session);
            if (!more || !*more) {
                if (format_ == ExportFormat::Json) {
                    out.append("]");
                }
                return Step::Done;
            }
            if (format_ == ExportFormat::Csv) {
                append_csv_row(out, session, now);
            } else {
                if (written_ > 0) {
                    out.push_back(',');
                }
                dto::append_session(out, session, BaseUrl{scheme_, authority_}, now);
            }
            ++written_;
        }
        return Step::More;
    }

private:
    std::unique_ptr<store::SessionCursor> cursor_;
    ExportFormat format_;
    std::string scheme_;
    std::string authority_;
    const util::Clock& clock_;
    bool started_ = false;
    std::int64_t written_ = 0;
};

} // namespace

void export_sessions(Context& ctx)
{
    const auto format = format_for(ctx.request.accept);
    if (!format) {
        throw ApiError::with_status(406, "Exports are text/csv or application/json.");
    }
    ApiError errors = ApiError::validation();
    store::SessionFilter filter = read_filter(ctx.query(), errors);
    if (!util::trim(ctx.request.body).empty()) {
        const auto media = util::trim(ctx.request.content_type.substr(0, ctx.request.content_type.find(';')));
        if (!util::iequals(media, "application/json")) {
            throw ApiError::with_status(415, "An export's filters come as application/json or in the query.");
        }
        filter = merge_filters(std::move(filter), read_filter(parse_json_object(ctx.request.body), errors), errors);
    }
    if (errors.has_errors()) {
        throw errors;
    }
    auto cursor = ctx.services.sessions.cursor(ctx.who(), filter);
    if (!cursor) {
        throw_domain_error(cursor.error());
    }
    if (*format == ExportFormat::Csv) {
        ctx.response.content_type = "text/csv; charset=utf-8";
        ctx.response.add_header("Content-Disposition", "attachment; filename=\"jobSessions.csv\"");
    } else {
        ctx.response.content_type = kJson;
        ctx.response.add_header("Content-Disposition", "attachment; filename=\"jobSessions.json\"");
    }
    ctx.response.stream = std::make_shared<ExportStream>(std::move(*cursor), *format, ctx.base, ctx.services.clock);
}

} // namespace jobsessions::api
