// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/base_url.hpp"
#include "jobsessions/domain/session.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::api::dto {

/// Appends a session in the member order of contract §4; `base` is the scheme and authority the links start
/// with (`https://abc.example.com`); `now` gives a running session its elapsed duration.
void append_session(std::string& out, const domain::JobSession& session, const BaseUrl& base, util::Micros now);

/// The same object in two pieces: its members up to the links, which depend on the session alone (and, while it
/// runs, on `now`)…
void append_session_members(std::string& out, const domain::JobSession& session, util::Micros now);
/// …and its links, which close it.
void append_session_links(std::string& out, const BaseUrl& base, std::int64_t id);

/// The links of many sessions under one base, their constant text made once (for lists).
class SessionLinks {
public:
    explicit SessionLinks(const BaseUrl& base);
    /// Appends what append_session_links appends.
    void append(std::string& out, std::int64_t id) const;
    /// Whether `links`, appended for session `id` by some SessionLinks, are what this one appends.
    [[nodiscard]] bool rendered(std::string_view links, std::int64_t id) const noexcept;

private:
    std::string self_;
    std::string log_;
};

/// Appends the absolute URL of a session: `<base>/api/v1/jobSessions/<id>`.
void append_session_url(std::string& out, const BaseUrl& base, std::int64_t id);

/// Appends one log entry object of the v1 log shape.
void append_log_entry(std::string& out, const domain::LogEntry& entry);

/// Appends a log in the v1 shape of contract §6.
void append_log(std::string& out, std::int64_t session_id, const std::vector<domain::LogEntry>& entries);

/// The same document in pieces, for a log written as it is read: its start, then the entries (comma-separated,
/// each by append_log_entry), then its end.
void append_log_start(std::string& out, std::int64_t session_id);
void append_log_end(std::string& out);

} // namespace jobsessions::api::dto
