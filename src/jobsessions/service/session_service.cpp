// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/session_service.hpp"

#include <algorithm>

namespace jobsessions::service {
namespace {

/// How often a list is listed again when its rows changed after its keys, before the request gives up.
constexpr int kListAttempts = 8;

DomainError not_found(std::int64_t id)
{
    return {DomainErrc::NotFound, {}, "Job session '" + std::to_string(id) + "' was not found."};
}

DomainError from_store(const store::StoreError& error, std::int64_t id)
{
    if (error.code == store::StoreErrc::NotFound) {
        return not_found(id);
    }
    if (error.code == store::StoreErrc::Corrupt) {
        return {DomainErrc::Internal, {}, {}, error.message};
    }
    return {DomainErrc::Unavailable, {}, "The session store is unavailable.", error.message};
}

bool may_see(const Principal& who, std::int64_t created_by)
{
    return who.role != domain::Role::Agent || created_by == who.user_id;
}

bool may_see(const Principal& who, const domain::JobSession& session)
{
    return may_see(who, session.created_by);
}

/// A session read from the store, as `who` may see it: NotFound when it may not.
Outcome<domain::JobSession> visible(const Principal& who, std::int64_t id, store::Result<domain::JobSession> session)
{
    if (!session) {
        return from_store(session.error(), id);
    }
    if (!may_see(who, *session)) {
        return not_found(id);
    }
    return std::move(*session);
}

/// Log entries as stored: absent times take the contract's defaults (logged now, starting when logged).
std::vector<store::NewLogEntry> to_rows(const std::vector<AppendLogEntry>& entries, util::Micros now)
{
    std::vector<store::NewLogEntry> rows;
    rows.reserve(entries.size());
    for (const auto& e : entries) {
        store::NewLogEntry row;
        row.log_time = e.log_time.value_or(now);
        row.status = e.status;
        row.message = e.message;
        row.execution_start_time = e.execution_start_time.value_or(row.log_time);
        row.execution_duration = e.execution_duration.value_or(0);
        rows.push_back(std::move(row));
    }
    return rows;
}

// Optimistic concurrency: a change that loses a race is re-applied to the fresh session, a few times at most.
constexpr int kChangeAttempts = 8;

} // namespace

AppendLogEntry logged_now(domain::SessionStatus status, std::string message)
{
    AppendLogEntry entry;
    entry.status = status;
    entry.message = std::move(message);
    return entry;
}

SessionService::SessionService(store::SessionStore& store, store::IdempotencyStore& answers, const util::Clock& clock,
                               ChangeHub& hub)
    : store_(store)
    , answers_(answers)
    , clock_(clock)
    , hub_(hub)
{
}

Outcome<RecordedAnswer> SessionService::recorded_answer(const store::IdempotencyWrite& write)
{
    auto record = answers_.find_idempotency(write.user_id, write.key);
    if (!record) {
        return from_store(record.error(), 0);
    }
    RecordedAnswer answer;
    if (*record) {
        if ((*record)->request_hash != write.request_hash) {
            answer.used_for_another_request = true;
        } else {
            answer.replay = std::move(*record);
        }
    }
    return answer;
}

void SessionService::limit_to(const Principal& who, store::SessionFilter& filter)
{
    if (who.role == domain::Role::Agent) {
        filter.created_by = who.user_id;
    }
}

store::SessionFilter SessionService::visible_to(const Principal& who, store::SessionFilter filter)
{
    limit_to(who, filter);
    return filter;
}

void SessionService::lists_version_later(boost::asio::io_context& io, std::function<void(Outcome<std::int64_t>)> reply)
{
    store_.sessions_version_later(io, [reply = std::move(reply)](store::Result<std::int64_t> version) {
        if (!version) {
            reply(from_store(version.error(), 0));
            return;
        }
        reply(*version);
    });
}

Outcome<store::SessionPage> SessionService::list(const Principal& who, store::SessionFilter filter, std::int64_t offset,
                                                 std::int64_t limit, KnownSessions* known)
{
    limit_to(who, filter);
    // The keys, then the rows of those the caller does not hold. A commit between the two changes a row's usn (or
    // deletes it): the page is then listed again, from a snapshot that includes that commit.
    for (int attempt = 0; attempt < kListAttempts; ++attempt) {
        auto keys = store_.list_session_keys(filter, offset, limit);
        if (!keys) {
            return from_store(keys.error(), 0);
        }
        store::SessionPage page;
        page.total_count = keys->total_count;
        const auto held = known != nullptr ? known->holds(keys->keys) : std::vector<bool>(keys->keys.size(), false);
        if (keys->sessions) {
            // Read with the keys, in one snapshot: the rows the caller does not hold are the page's.
            for (std::size_t i = 0; i < keys->sessions->size(); ++i) {
                if (!held.at(i)) {
                    page.sessions.push_back(std::move(keys->sessions->at(i)));
                }
            }
            return page;
        }
        std::vector<store::SessionKey> wanted;
        for (std::size_t i = 0; i < keys->keys.size(); ++i) {
            if (!held.at(i)) {
                wanted.push_back(keys->keys[i]);
            }
        }
        if (wanted.empty()) {
            return page;
        }
        auto rows = store_.get_sessions(wanted);
        if (!rows) {
            return from_store(rows.error(), 0);
        }
        const auto as_listed = std::equal(wanted.begin(), wanted.end(), rows->begin(), rows->end(),
                                          [](const store::SessionKey& key, const domain::JobSession& row) {
                                              return key.id == row.id && key.usn == row.usn;
                                          });
        if (as_listed) {
            page.sessions = std::move(*rows);
            return page;
        }
    }
    return DomainError{DomainErrc::Unavailable,
                       {},
                       "The sessions kept changing while they were listed; try again.",
                       "a list's rows changed after its keys " + std::to_string(kListAttempts) + " times"};
}

Outcome<std::int64_t> SessionService::count(const Principal& who, store::SessionFilter filter)
{
    limit_to(who, filter);
    auto n = store_.count_sessions(filter);
    if (!n) {
        return from_store(n.error(), 0);
    }
    return *n;
}

Outcome<SessionSummary> SessionService::summary(const Principal& who, store::SessionFilter filter)
{
    limit_to(who, filter);
    SessionSummary summary;
    const auto asked = filter.statuses;
    for (const auto status : domain::all_session_statuses()) {
        if (!asked.empty() && std::find(asked.begin(), asked.end(), status) == asked.end()) {
            continue;
        }
        filter.statuses = {status};
        auto n = store_.count_sessions(filter);
        if (!n) {
            return from_store(n.error(), 0);
        }
        summary.by_status.emplace_back(status, *n);
        summary.total += *n;
    }
    filter.statuses.clear();
    for (const auto status : domain::all_session_statuses()) {
        if (!domain::is_final(status)) {
            filter.statuses.push_back(status);
        }
    }
    filter.from.reset();
    filter.to.reset();
    filter.usn_after.reset();
    auto running = store_.count_sessions(filter);
    if (!running) {
        return from_store(running.error(), 0);
    }
    summary.running_now = *running;
    return summary;
}

Outcome<std::unique_ptr<store::SessionCursor>> SessionService::cursor(const Principal& who, store::SessionFilter filter)
{
    limit_to(who, filter);
    auto cursor = store_.open_session_cursor(filter);
    if (!cursor) {
        return from_store(cursor.error(), 0);
    }
    return std::move(*cursor);
}

Outcome<std::vector<domain::JobSession>> SessionService::changes(const Principal& who, std::int64_t after_usn,
                                                                 std::int64_t limit)
{
    std::optional<std::int64_t> created_by;
    if (who.role == domain::Role::Agent) {
        created_by = who.user_id;
    }
    auto changed = store_.changed_sessions(after_usn, limit, created_by);
    if (!changed) {
        return from_store(changed.error(), 0);
    }
    return std::move(*changed);
}

Outcome<std::int64_t> SessionService::highest_usn()
{
    auto usn = store_.highest_usn();
    if (!usn) {
        return from_store(usn.error(), 0);
    }
    return *usn;
}

Outcome<domain::JobSession> SessionService::stop(const Principal& who, std::int64_t id)
{
    domain::SessionChange change;
    change.status = domain::SessionStatus::Canceling;
    auto stopped = this->change(who, id, change, nullptr);
    if (stopped && stop_handler_) {
        stop_handler_(id);
    }
    return stopped;
}

Outcome<domain::JobSession> SessionService::get(const Principal& who, std::int64_t id)
{
    return visible(who, id, store_.get_session(id));
}

void SessionService::get_later(const Principal& who, std::int64_t id, boost::asio::io_context& io,
                               std::function<void(Outcome<domain::JobSession>)> reply)
{
    store_.get_session_later(id, io, [who, id, reply = std::move(reply)](store::Result<domain::JobSession> session) {
        reply(visible(who, id, std::move(session)));
    });
}

Outcome<domain::JobSession> SessionService::create(const Principal& who, const CreateSession& request,
                                                   const store::IdempotencyWrite* idempotency)
{
    const auto now = clock_.now();
    store::NewSession session;
    session.type = request.type;
    session.status = request.status.value_or(domain::SessionStatus::Running);
    session.start_time = request.start_time.value_or(now);
    session.created_by = who.user_id;
    session.backup_info = request.backup_info;
    session.restore_info = request.restore_info;
    session.repository_info = request.repository_info;
    session.retention_info = request.retention_info;
    session.log = to_rows(request.log, now);
    if (request.stop_time) {
        if (!domain::is_final(session.status)) {
            return DomainError{DomainErrc::Invalid, "executionStopTime",
                               "Only a session with a final status has a stop time."};
        }
        if (*request.stop_time < session.start_time) {
            return DomainError{DomainErrc::Invalid, "executionStopTime", "The stop time lies before the start time."};
        }
        session.stop_time = request.stop_time;
    } else if (domain::is_final(session.status)) {
        session.stop_time = std::max(now, session.start_time);
    }
    auto created = store_.create_session(session, idempotency);
    if (!created) {
        if (created.error().code == store::StoreErrc::Conflict && idempotency != nullptr) {
            return DomainError{DomainErrc::IdempotencyRace, {}, "The same Idempotency-Key is in use."};
        }
        return from_store(created.error(), 0);
    }
    hub_.changed(created->id);
    for (auto* observer : observers_) {
        observer->session_written(nullptr, *created);
    }
    return std::move(*created);
}

Outcome<std::vector<std::int64_t>> SessionService::unfinished_by_type()
{
    std::vector<std::int64_t> counts;
    for (const auto type : domain::all_session_types()) {
        store::SessionFilter filter;
        filter.types = {type};
        for (const auto status : domain::all_session_statuses()) {
            if (!domain::is_final(status)) {
                filter.statuses.push_back(status);
            }
        }
        auto counted = store_.count_sessions(filter);
        if (!counted) {
            return from_store(counted.error(), 0);
        }
        counts.push_back(*counted);
    }
    return counts;
}

Outcome<domain::JobSession> SessionService::change(const Principal& who, std::int64_t id,
                                                   const domain::SessionChange& change,
                                                   const store::IdempotencyWrite* idempotency)
{
    for (int attempt = 0; attempt < kChangeAttempts; ++attempt) {
        auto current = get(who, id);
        if (!current) {
            return current.error();
        }
        domain::JobSession next = *current;
        const auto outcome = domain::apply_change(next, change, clock_.now());
        if (outcome.refusal) {
            switch (*outcome.refusal) {
            case domain::ChangeRefusal::AlreadyFinal:
                return DomainError{DomainErrc::Conflict,
                                   {},
                                   "Job session '" + std::to_string(id) + "' has finished (" +
                                       std::string(domain::to_string(current->status)) + ") and cannot change."};
            case domain::ChangeRefusal::StopBeforeStart:
                return DomainError{DomainErrc::Invalid, "executionStopTime",
                                   "The stop time lies before the start time."};
            case domain::ChangeRefusal::StopTimeWithoutFinalStatus:
                return DomainError{DomainErrc::Invalid, "executionStopTime",
                                   "Only a session with a final status has a stop time."};
            }
        }
        if (!outcome.changed) {
            return next;
        }
        auto stored = store_.replace_session(next, current->usn, idempotency);
        if (stored) {
            hub_.changed(id);
            for (auto* observer : observers_) {
                observer->session_written(&*current, *stored);
            }
            if (ended_handler_ && who.user_id != kSystem.user_id && domain::is_final(stored->status)) {
                ended_handler_(id);
            }
            return std::move(*stored);
        }
        if (stored.error().code != store::StoreErrc::Conflict) {
            return from_store(stored.error(), id);
        }
        if (idempotency != nullptr) {
            return DomainError{DomainErrc::IdempotencyRace, {}, "The same Idempotency-Key is in use."};
        }
    }
    return DomainError{DomainErrc::Unavailable, {}, "The session is changing too often; try again."};
}

Outcome<store::LogAppend> SessionService::append_log(const Principal& who, std::int64_t id,
                                                     const std::vector<AppendLogEntry>& entries,
                                                     const store::IdempotencyWrite* idempotency)
{
    auto session = get(who, id);
    if (!session) {
        return session.error();
    }
    auto appended = store_.append_log(id, to_rows(entries, clock_.now()), idempotency);
    if (!appended) {
        if (appended.error().code == store::StoreErrc::Conflict && idempotency != nullptr) {
            return DomainError{DomainErrc::IdempotencyRace, {}, "The same Idempotency-Key is in use."};
        }
        return from_store(appended.error(), id);
    }
    if (appended->refused_final) {
        return DomainError{DomainErrc::Conflict,
                           {},
                           "Job session '" + std::to_string(id) + "' has finished (" +
                               std::string(domain::to_string(appended->session.status)) + "); its log is closed."};
    }
    hub_.changed(id);
    return std::move(*appended);
}

Outcome<store::LogAppend> SessionService::append_message(const Principal& who, std::int64_t id,
                                                         domain::SessionStatus status, std::string message)
{
    return append_log(who, id, {logged_now(status, std::move(message))}, nullptr);
}

Outcome<std::vector<domain::LogEntry>> SessionService::log(const Principal& who, std::int64_t id, std::int64_t offset,
                                                           std::int64_t limit)
{
    // Whether the session is there for `who` takes its creator only, not the whole row.
    auto creator = store_.get_session_creator(id);
    if (!creator) {
        return from_store(creator.error(), id);
    }
    if (!may_see(who, *creator)) {
        return not_found(id);
    }
    auto entries = store_.get_log(id, offset, limit);
    if (!entries) {
        return from_store(entries.error(), id);
    }
    return std::move(*entries);
}

void SessionService::log_later(const Principal& who, std::int64_t id, std::int64_t offset, std::int64_t limit,
                               boost::asio::io_context& io,
                               std::function<void(Outcome<std::vector<domain::LogEntry>>)> reply)
{
    store_.get_log_later(id, offset, limit, io,
                         [who, id, reply = std::move(reply)](store::Result<store::LogPage> page) {
                             if (!page) {
                                 reply(from_store(page.error(), id));
                             } else if (!may_see(who, page->created_by)) {
                                 reply(not_found(id));
                             } else {
                                 reply(std::move(page->entries));
                             }
                         });
}

} // namespace jobsessions::service
