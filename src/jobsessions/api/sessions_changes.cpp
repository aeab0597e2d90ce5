// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/ranges.hpp"
#include "jobsessions/api/session_filter_input.hpp"
#include "jobsessions/util/strings.hpp"

#include <mutex>

namespace jobsessions::api {
namespace {

constexpr std::int64_t kDefaultChanges = 100;
constexpr std::int64_t kMaxChanges = 1000;
constexpr std::int64_t kMaxWaitSeconds = 60;

void append_changes(std::string& out, const std::vector<domain::JobSession>& sessions, std::int64_t usn, bool has_more,
                    const BaseUrl& base, util::Micros now)
{
    out.append(R"({"usn":)");
    util::append_int(out, usn);
    out.append(R"(,"hasMore":)");
    out.append(has_more ? "true" : "false");
    out.append(R"(,"results":[)");
    bool first = true;
    for (const auto& s : sessions) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        dto::append_session(out, s, base, now);
    }
    out.append("]}");
}

/// A long poll: answers as soon as there is a change after the client's usn, or when the wait is over. Woken by
/// the write itself through the change hub; it never polls the store on a timer.
class ChangesPoll final : public http::BodySource {
public:
    ChangesPoll(service::SessionService& sessions, service::Principal who, std::int64_t after_usn, std::int64_t limit,
                std::chrono::seconds wait, const BaseUrl& base, const util::Clock& clock)
        : sessions_(sessions)
        , who_(who)
        , after_usn_(after_usn)
        , limit_(limit)
        , deadline_(std::chrono::steady_clock::now() + wait)
        , scheme_(base.scheme)
        , authority_(base.authority)
        , clock_(clock)
    {
    }

    void set_waker(const std::function<void()>& wake) override { subscription_ = sessions_.hub().watch_all(wake); }

    std::chrono::milliseconds wait_limit() const override
    {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
        return std::max(left, std::chrono::milliseconds(0));
    }

    void stop() override { stopped_ = true; }

    Step produce(std::string& out) override
    {
        auto changed = sessions_.changes(who_, after_usn_, limit_ + 1);
        if (!changed) {
            // Nothing to say but that the store failed; an empty answer lets the client retry.
            append_changes(out, {}, after_usn_, false, {scheme_, authority_}, clock_.now());
            return Step::Done;
        }
        const bool over = stopped_ || std::chrono::steady_clock::now() >= deadline_;
        if (changed->empty()) {
            // A client ahead of the store (its usn from a store since restored from a backup, or made up) would
            // wait for ever: the writes to come take the usns it has passed. It is told the highest at once.
            if (auto highest = sessions_.highest_usn(); highest && *highest < after_usn_) {
                append_changes(out, {}, *highest, false, {scheme_, authority_}, clock_.now());
                return Step::Done;
            }
            if (!over) {
                return Step::Wait;
            }
        }
        const bool has_more = static_cast<std::int64_t>(changed->size()) > limit_;
        if (has_more) {
            changed->pop_back();
        }
        std::int64_t usn = after_usn_;
        if (!changed->empty()) {
            usn = changed->back().usn;
        } else if (auto highest = sessions_.highest_usn();
                   highest && *highest > usn && who_.role != domain::Role::Agent) {
            usn = *highest;
        }
        append_changes(out, *changed, usn, has_more, {scheme_, authority_}, clock_.now());
        return Step::Done;
    }

private:
    service::SessionService& sessions_;
    service::Principal who_;
    std::int64_t after_usn_;
    std::int64_t limit_;
    std::chrono::steady_clock::time_point deadline_;
    std::string scheme_;
    std::string authority_;
    const util::Clock& clock_;
    service::ChangeHub::Subscription subscription_;
    std::atomic<bool> stopped_{false};
};

} // namespace

void list_changes(Context& ctx)
{
    const auto& query = ctx.query();
    ApiError errors = ApiError::validation();
    const auto after = read_integer(query, "usn", 0, 0, kMaxExactInteger, errors);
    const auto limit = read_integer(query, "limit", kDefaultChanges, 1, kMaxChanges, errors);
    const auto wait = read_integer(query, "wait", 0, 0, kMaxWaitSeconds, errors);
    if (errors.has_errors()) {
        throw errors;
    }
    ctx.response.content_type = kJson;
    auto poll = std::make_shared<ChangesPoll>(ctx.services.sessions, ctx.who(), after, limit,
                                              std::chrono::seconds(wait), ctx.base, ctx.services.clock);
    ctx.response.stream = std::move(poll);
    ctx.response.stream_now = false;
    ctx.response.waits_for_events = wait > 0;
}

} // namespace jobsessions::api
