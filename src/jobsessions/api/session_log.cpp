// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/later_answer.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/ranges.hpp"
#include "jobsessions/api/session_filter_input.hpp"
#include "jobsessions/util/strings.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace jobsessions::api {
namespace {

constexpr std::int64_t kMaxLogPage = 10'000;
// How many entries a follower reads from the store at a time.
constexpr std::int64_t kFollowBatch = 500;
constexpr auto kHeartbeat = std::chrono::seconds(15);
// A whole log (no limit) longer than this is streamed a batch at a time instead of built in memory.
constexpr std::int64_t kWholeLogBatch = 1'000;

bool wants_event_stream(std::string_view accept)
{
    for (const auto item : util::split_list(accept)) {
        if (util::iequals(util::trim(item.substr(0, item.find(';'))), "text/event-stream")) {
            return true;
        }
    }
    return false;
}

/// Follows a session's log as Server-Sent Events: every entry after the resume point, a `status` event for each
/// status it sees, a comment line as heartbeat when quiet, and the end after a final status. It reads from the
/// store when woken, so a slow follower holds no queue and a writer never waits for it.
class LogFollower final : public http::BodySource {
public:
    LogFollower(service::SessionService& sessions, service::Principal who, std::int64_t session_id,
                std::int64_t after_sequence, const BaseUrl& base, const util::Clock& clock)
        : sessions_(sessions)
        , who_(who)
        , session_id_(session_id)
        , last_sequence_(after_sequence)
        , scheme_(base.scheme)
        , authority_(base.authority)
        , clock_(clock)
    {
    }

    void set_waker(const std::function<void()>& wake) override
    {
        subscription_ = sessions_.hub().watch_session(session_id_, wake);
    }

    std::chrono::milliseconds wait_limit() const override { return kHeartbeat; }

    void stop() override { stopped_ = true; }

    Step produce(std::string& out) override
    {
        const auto now = std::chrono::steady_clock::now();
        if (stopped_) {
            return Step::Done;
        }
        if (!last_status_) {
            // The session comes first, whatever backlog its log has.
            auto session = sessions_.get(who_, session_id_);
            if (!session) {
                return Step::Done;
            }
            emit_status(out, *session);
        }
        auto step = emit_entries(out);
        if (step) {
            return *step;
        }
        auto session = sessions_.get(who_, session_id_);
        if (!session) {
            return Step::Done; // removed meanwhile
        }
        if (domain::is_final(session->status)) {
            // Entries appended just before the session ended must go out before its final status.
            step = emit_entries(out);
            if (step == Step::More) {
                return Step::More;
            }
        }
        // On every change; and a final status is the last event, after the entries that came before it.
        if (*last_status_ != session->status || last_usn_ != session->usn ||
            (domain::is_final(session->status) && entries_since_status_)) {
            emit_status(out, *session);
        }
        if (domain::is_final(session->status)) {
            return Step::Done;
        }
        if (out.empty() && now - last_output_ >= kHeartbeat) {
            out.append(": heartbeat\n\n");
        }
        if (!out.empty()) {
            last_output_ = now;
        }
        return Step::Wait;
    }

private:
    void emit_status(std::string& out, const domain::JobSession& session)
    {
        last_status_ = session.status;
        last_usn_ = session.usn;
        entries_since_status_ = false;
        out.append("event: status\ndata: ");
        dto::append_session(out, session, BaseUrl{scheme_, authority_}, clock_.now());
        out.append("\n\n");
    }

    // Writes the entries after the last one sent; More when there may be more right away.
    std::optional<Step> emit_entries(std::string& out)
    {
        auto entries = sessions_.log(who_, session_id_, last_sequence_, kFollowBatch);
        if (!entries) {
            return Step::Done;
        }
        for (const auto& e : *entries) {
            out.append("id: ");
            util::append_int(out, e.sequence);
            out.append("\nevent: log\ndata: ");
            dto::append_log_entry(out, e);
            out.append("\n\n");
            last_sequence_ = e.sequence;
            entries_since_status_ = true;
        }
        if (static_cast<std::int64_t>(entries->size()) == kFollowBatch) {
            return Step::More;
        }
        return std::nullopt;
    }

    service::SessionService& sessions_;
    service::Principal who_;
    std::int64_t session_id_;
    std::int64_t last_sequence_;
    std::string scheme_;
    std::string authority_;
    const util::Clock& clock_;
    std::optional<domain::SessionStatus> last_status_;
    std::int64_t last_usn_ = 0;
    /// Log events were sent after the last status event.
    bool entries_since_status_ = false;
    std::chrono::steady_clock::time_point last_output_ = std::chrono::steady_clock::now();
    service::ChangeHub::Subscription subscription_;
    std::atomic<bool> stopped_{false};
};

/// A whole log (the request gave no limit) of more than one batch: written a batch at a time as it is read, so
/// a log of millions of lines costs the server a batch of memory, not the whole document. Entries appended
/// while it is written are included; a session removed meanwhile ends the document where it got to.
class WholeLogStream final : public http::BodySource {
public:
    WholeLogStream(service::SessionService& sessions, service::Principal who, std::int64_t session_id,
                   std::vector<domain::LogEntry> first_batch)
        : sessions_(sessions)
        , who_(who)
        , session_id_(session_id)
        , batch_(std::move(first_batch))
    {
    }

    Step produce(std::string& out) override
    {
        if (!started_) {
            started_ = true;
            dto::append_log_start(out, session_id_);
        }
        while (out.size() < kPieceBytes) {
            if (next_ == batch_.size()) {
                if (batch_.size() < static_cast<std::size_t>(kWholeLogBatch) || !read_batch()) {
                    dto::append_log_end(out);
                    return Step::Done;
                }
                continue;
            }
            if (written_++ > 0) {
                out.push_back(',');
            }
            dto::append_log_entry(out, batch_[next_]);
            last_sequence_ = batch_[next_].sequence;
            ++next_;
        }
        return Step::More;
    }

private:
    // The batch after the last entry written; false at the end of the log (or when it went away).
    bool read_batch()
    {
        auto entries = sessions_.log(who_, session_id_, last_sequence_, kWholeLogBatch);
        if (!entries || entries->empty()) {
            return false;
        }
        batch_ = std::move(*entries);
        next_ = 0;
        return true;
    }

    service::SessionService& sessions_;
    service::Principal who_;
    std::int64_t session_id_;
    std::vector<domain::LogEntry> batch_;
    std::size_t next_ = 0;
    std::int64_t last_sequence_ = 0;
    std::int64_t written_ = 0;
    bool started_ = false;
};

/// A page of a log whose read waits on the I/O thread's event loop (a store across a socket), with the session's
/// creator in the same statement.
class LogPageAnswer final : public OutcomeAnswer<std::vector<domain::LogEntry>> {
public:
    LogPageAnswer(Context& ctx, std::int64_t id, std::int64_t offset, std::int64_t limit)
        : OutcomeAnswer(ctx)
        , who_(ctx.who())
        , id_(id)
        , offset_(offset)
        , limit_(limit)
    {
    }

private:
    void ask(Reply reply) override { services_.sessions.log_later(who_, id_, offset_, limit_, io_, std::move(reply)); }
    void write(std::string& out, const std::vector<domain::LogEntry>& log) override { dto::append_log(out, id_, log); }

    service::Principal who_;
    std::int64_t id_;
    std::int64_t offset_;
    std::int64_t limit_;
};

/// Whether a request for a log with this `limit` is a page (a limit given, no event stream) read on the I/O thread's
/// event loop: the store's lookups wait there. A whole log may be long and is streamed from the blocking pool.
bool reads_page_later(const http::Request& request, const service::SessionService& sessions, std::int64_t limit)
{
    return limit != -1 && sessions.looks_up_later() && request.io != nullptr && !wants_event_stream(request.accept);
}

} // namespace

store::ReadCost get_session_log_read_cost(http::Request& request, const service::SessionService& sessions)
{
    const auto query = Params::from_target(request.target);
    if (!query) {
        return store::ReadCost::Quick; // refused at once
    }
    // A page read later holds nothing up: the handler only starts the read.
    ApiError errors = ApiError::validation();
    const auto limit = read_integer(*query, "limit", -1, -1, kMaxLogPage, errors);
    return reads_page_later(request, sessions, limit) ? store::ReadCost::Quick : sessions.lookup_cost();
}

void get_session_log(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    const auto& query = ctx.query();
    ApiError errors = ApiError::validation();
    const auto offset = read_integer(query, "offset", 0, 0, kMaxExactInteger, errors);
    const auto limit = read_integer(query, "limit", -1, -1, kMaxLogPage, errors);
    if (errors.has_errors()) {
        throw errors;
    }
    if (wants_event_stream(ctx.request.accept)) {
        // Check the session exists (and is visible) now, so a wrong id is a plain 404 and not an empty stream.
        if (auto session = ctx.services.sessions.get(ctx.who(), id); !session) {
            throw_domain_error(session.error());
        }
        std::int64_t resume_after = offset;
        if (!ctx.request.last_event_id.empty()) {
            const auto last = util::parse_int64(util::trim(ctx.request.last_event_id));
            if (!last || *last < 0 || *last > kMaxExactInteger) {
                throw ApiError::bad_request("Last-Event-ID",
                                            "Must be the id of a log event (a whole number from 0 to " +
                                                std::to_string(kMaxExactInteger) + ").");
            }
            resume_after = *last;
        }
        ctx.response.content_type = "text/event-stream; charset=utf-8";
        ctx.response.add_header("Cache-Control", "no-cache");
        // Proxies such as nginx would otherwise hold events back.
        ctx.response.add_header("X-Accel-Buffering", "no");
        ctx.response.waits_for_events = true;
        ctx.response.stream = std::make_shared<LogFollower>(ctx.services.sessions, ctx.who(), id, resume_after,
                                                            ctx.base, ctx.services.clock);
        return;
    }
    if (reads_page_later(ctx.request, ctx.services.sessions, limit)) {
        LaterAnswer::answer_later(ctx, std::make_shared<LogPageAnswer>(ctx, id, offset, limit));
        return;
    }
    // Without a limit, the first batch tells whether the log is short enough to answer at once.
    auto log = ctx.services.sessions.log(ctx.who(), id, offset, limit == -1 ? kWholeLogBatch : limit);
    if (!log) {
        throw_domain_error(log.error());
    }
    ctx.response.content_type = kJson;
    if (limit == -1 && static_cast<std::int64_t>(log->size()) == kWholeLogBatch) {
        ctx.response.stream = std::make_shared<WholeLogStream>(ctx.services.sessions, ctx.who(), id, std::move(*log));
        return;
    }
    dto::append_log(ctx.response.body, id, *log);
}

} // namespace jobsessions::api
