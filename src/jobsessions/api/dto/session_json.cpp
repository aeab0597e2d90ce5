// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"

#include "jobsessions/api/dto/text_buffer.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace jobsessions::api::dto {
namespace {

// A session's links: kSelfHref, its URL, kLogHref, its URL again, kLinksEnd.
constexpr std::string_view kSessionsPath = "/api/v1/jobSessions/";
constexpr std::string_view kSelfHref = R"(,"_links":{"self":{"href":")";
constexpr std::string_view kLogHref = R"("},"log":{"href":")";
constexpr std::string_view kLinksEnd = R"(/log"}}})";

void put_session_url(TextBuffer& text, const BaseUrl& base, std::int64_t id)
{
    text.raw(base.scheme);
    text.raw(base.authority);
    text.raw(kSessionsPath);
    text.integer(id);
}

} // namespace

void append_session(std::string& out, const domain::JobSession& session, const BaseUrl& base, util::Micros now)
{
    append_session_members(out, session, now);
    append_session_links(out, base, session.id);
}

void append_session_members(std::string& out, const domain::JobSession& s, util::Micros now)
{
    TextBuffer text(out);
    text.raw(R"({"id":")");
    text.integer(s.id);
    text.raw(R"(","type":")");
    text.raw(domain::to_string(s.type));
    text.raw(R"(","localizedType":")");
    text.raw(domain::localized_name(s.type));
    text.raw(R"(","executionStartTime":)");
    text.timestamp(s.start_time);
    text.raw(R"(,"executionStopTime":)");
    if (s.stop_time) {
        text.timestamp(*s.stop_time);
    } else {
        text.raw("null");
    }
    text.raw(R"(,"executionDuration":)");
    text.timespan(s.stop_time.value_or(std::max(now, s.start_time)) - s.start_time);
    text.raw(R"(,"status":")");
    text.raw(domain::to_string(s.status));
    text.raw(R"(","usn":)");
    text.integer(s.usn);
    if (s.backup_info) {
        text.raw(R"(,"backupJobInfo":{"policyId":)");
        text.string(s.backup_info->policy_id);
        text.raw(R"(,"policyName":)");
        text.string(s.backup_info->policy_name);
        text.raw(R"(,"protectedInstancesCount":)");
        text.integer(s.backup_info->protected_instances_count);
        text.raw(R"(,"policyRemoved":)");
        text.boolean(s.backup_info->policy_removed);
        text.raw('}');
    }
    if (s.restore_info) {
        text.raw(R"(,"restoreJobInfo":{"reason":)");
        text.string(s.restore_info->reason);
        text.raw(R"(,"backupPolicyDisplayName":)");
        text.string(s.restore_info->backup_policy_display_name);
        text.raw('}');
    }
    if (s.repository_info) {
        text.raw(R"(,"repositoryJobInfo":{"repositoryId":)");
        text.string(s.repository_info->repository_id);
        text.raw(R"(,"repositoryName":)");
        text.string(s.repository_info->repository_name);
        text.raw(R"(,"repositoryRemoved":)");
        text.boolean(s.repository_info->repository_removed);
        text.raw('}');
    }
    if (s.retention_info) {
        text.raw(R"(,"retentionJobInfo":{"deletedRestorePointsCount":)");
        text.integer(s.retention_info->deleted_restore_points_count);
        text.raw('}');
    }
}

void append_session_links(std::string& out, const BaseUrl& base, std::int64_t id)
{
    TextBuffer text(out);
    text.raw(kSelfHref);
    put_session_url(text, base, id);
    text.raw(kLogHref);
    put_session_url(text, base, id);
    text.raw(kLinksEnd);
}

SessionLinks::SessionLinks(const BaseUrl& base)
    : self_(kSelfHref)
    , log_(kLogHref)
{
    base.append_to(self_);
    self_ += kSessionsPath;
    base.append_to(log_);
    log_ += kSessionsPath;
}

void SessionLinks::append(std::string& out, std::int64_t id) const
{
    char digits[24];
    const auto digits_end = std::to_chars(digits, digits + sizeof digits, id).ptr;
    const std::string_view id_text(digits, static_cast<std::size_t>(digits_end - digits));
    // Put together on the stack and appended at once: a page appends thirty of these.
    const std::array<std::string_view, 5> pieces{self_, id_text, log_, id_text, kLinksEnd};
    std::array<char, 512> text; // NOLINT(cppcoreguidelines-pro-type-member-init): written before it is read
    const std::size_t size = self_.size() + log_.size() + kLinksEnd.size() + 2 * id_text.size();
    if (size > text.size()) { // a very long base URL
        for (const auto piece : pieces) {
            out.append(piece);
        }
        return;
    }
    char* at = text.data();
    for (const auto piece : pieces) {
        at = std::copy(piece.begin(), piece.end(), at);
    }
    out.append(text.data(), size);
}

bool SessionLinks::rendered(std::string_view links, std::int64_t id) const noexcept
{
    // Links of the same session differ only in their base URL, which is in both halves alike: the self half and the
    // length tell them apart.
    const std::size_t id_size = static_cast<std::size_t>(util::decimal_digits(id));
    return links.size() == self_.size() + log_.size() + kLinksEnd.size() + 2 * id_size && links.starts_with(self_);
}

void append_session_url(std::string& out, const BaseUrl& base, std::int64_t id)
{
    TextBuffer text(out);
    put_session_url(text, base, id);
}

void append_log_entry(std::string& out, const domain::LogEntry& e)
{
    TextBuffer text(out);
    text.raw(R"({"logTime":)");
    text.timestamp(e.log_time);
    text.raw(R"(,"status":")");
    text.raw(domain::to_string(e.status));
    text.raw(R"(","message":)");
    text.string(e.message);
    text.raw(R"(,"executionStartTime":)");
    text.timestamp(e.execution_start_time);
    text.raw(R"(,"executionDuration":)");
    text.timespan(e.execution_duration);
    text.raw('}');
}

void append_log_start(std::string& out, std::int64_t session_id)
{
    out.append(R"({"jobSessionId":")");
    util::append_int(out, session_id);
    out.append(R"(","log":[)");
}

void append_log_end(std::string& out)
{
    out.append("]}");
}

void append_log(std::string& out, std::int64_t session_id, const std::vector<domain::LogEntry>& entries)
{
    // A page of thousands of entries is megabytes: grown by doubling, it would be copied over and over into memory
    // the system must first fault in. The fields around a message take under 200 bytes.
    constexpr std::size_t kEntryFields = 200;
    std::size_t expected = out.size() + 64;
    for (const auto& e : entries) {
        expected += kEntryFields + e.message.size();
    }
    out.reserve(expected);
    append_log_start(out, session_id);
    bool first = true;
    for (const auto& e : entries) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_log_entry(out, e);
    }
    append_log_end(out);
}

} // namespace jobsessions::api::dto
