// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/json_input.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/session_filter_input.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {
namespace {

enum class ExportFormat : std::uint8_t { Csv, Json };

// Picks the format from Accept: JSON when asked for, CSV for text/csv, */* or no Accept; nullopt for anything
// else (406).
std::optional<ExportFormat> format_for(std::string_view accept)
{
    if (util::trim(accept).empty()) {
        return ExportFormat::Csv;
    }
    for (const auto item : util::split_list(accept)) {
        const auto media = util::trim(item.substr(0, item.find(';')));
        if (util::iequals(media, "application/json")) {
            return ExportFormat::Json;
        }
        if (util::iequals(media, "text/csv") || util::iequals(media, "text/*") || util::iequals(media, "*/*")) {
            return ExportFormat::Csv;
        }
    }
    return std::nullopt;
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
        append_csv_field(out, s.backup_info->policy_id);
        out.push_back(',');
        append_csv_field(out, s.backup_info->policy_name);
        out.push_back(',');
        util::append_int(out, s.backup_info->protected_instances_count);
        out.push_back(',');
        out.append(s.backup_info->policy_removed ? "true" : "false");
    } else {
        out.append(",,,");
    }
    out.push_back(',');
    if (s.restore_info) {
        append_csv_field(out, s.restore_info->reason);
        out.push_back(',');
        append_csv_field(out, s.restore_info->backup_policy_display_name);
    } else {
        out.push_back(',');
    }
    out.push_back(',');
    if (s.repository_info) {
        append_csv_field(out, s.repository_info->repository_id);
        out.push_back(',');
        append_csv_field(out, s.repository_info->repository_name);
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
    store::SessionFilter filter;
    if (!util::trim(ctx.request.body).empty()) {
        const auto media = util::trim(ctx.request.content_type.substr(0, ctx.request.content_type.find(';')));
        if (!util::iequals(media, "application/json")) {
            throw ApiError::with_status(415, "An export's filters come as application/json or in the query.");
        }
        filter = read_filter(parse_json_object(ctx.request.body), errors);
    } else {
        filter = read_filter(ctx.query(), errors);
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
