// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/later_answer.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/ranges.hpp"
#include "jobsessions/api/rendered_pages.hpp"
#include "jobsessions/api/session_filter_input.hpp"
#include "jobsessions/http/body_source.hpp"
#include "jobsessions/http/negotiation.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>

namespace jobsessions::api {
namespace {

constexpr std::int64_t kDefaultPageSize = 30;
constexpr std::int64_t kMaxPageSize = 1000;

// Whether a piece of a query (`name=value`, encoded) gives the offset or the limit.
bool is_paging(std::string_view piece)
{
    const auto name = piece.substr(0, piece.find('='));
    if (name.find_first_of("%+") == std::string_view::npos) { // nothing to decode
        return util::iequals(name, "offset") || util::iequals(name, "limit");
    }
    const auto parsed = Params::parse(piece);
    return parsed && !parsed->pairs().empty() &&
           (util::iequals(parsed->pairs().front().first, "offset") ||
            util::iequals(parsed->pairs().front().first, "limit"));
}

// The request's query without its offset and limit, kept as the client encoded it, so links keep the filters.
std::string filters_of(std::string_view target)
{
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return {};
    }
    std::string kept;
    std::string_view rest = target.substr(question + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto piece = rest.substr(0, amp);
        if (!piece.empty() && !is_paging(piece)) {
            kept.append(piece);
            kept.push_back('&');
        }
        if (amp == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(amp + 1);
    }
    return kept;
}

void append_href(std::string& out, const BaseUrl& base, const std::string& filters, std::int64_t offset,
                 std::int64_t limit)
{
    base.append_to(out);
    out.append("/api/v1/jobSessions?");
    // The filters came through the URL parser, so they hold no quote or backslash that JSON would need escaped.
    out.append(filters);
    out.append("offset=");
    util::append_int(out, offset);
    out.append("&limit=");
    util::append_int(out, limit);
}

void append_link(std::string& out, std::string_view relation, const BaseUrl& base, const std::string& filters,
                 std::int64_t offset, std::int64_t limit)
{
    out.push_back('"');
    out.append(relation);
    out.append(R"(":{"href":")");
    append_href(out, base, filters, offset, limit);
    out.append(R"("})");
}

// The page's links; `self` is its own href (append_href), which the caller has at hand.
void append_links(std::string& out, std::string_view self, const BaseUrl& base, const std::string& filters,
                  std::int64_t offset, std::int64_t limit, std::int64_t total)
{
    out.append(R"(,"_links":{"self":{"href":")");
    out.append(self);
    out.append(R"("},)");
    append_link(out, "first", base, filters, 0, limit);
    if (limit > 0 && offset > 0) {
        // From past the end, back to the last page that has sessions.
        out.push_back(',');
        append_link(out, "prev", base, filters, std::max<std::int64_t>(0, std::min(offset, total) - limit), limit);
    }
    if (limit > 0 && offset + limit < total) {
        out.push_back(',');
        append_link(out, "next", base, filters, offset + limit, limit);
    }
    out.append("}}");
}

void append_head(std::string& out, std::int64_t offset, std::int64_t limit, std::int64_t total)
{
    out.append(R"({"offset":)");
    util::append_int(out, offset);
    out.append(R"(,"limit":)");
    util::append_int(out, limit);
    out.append(R"(,"totalCount":)");
    util::append_int(out, total);
    out.append(R"(,"results":[)");
}

/// limit=-1: every matching session, written as the cursor walks, never held all at once.
class SessionListStream final : public http::BodySource {
public:
    SessionListStream(std::unique_ptr<store::SessionCursor> cursor, std::int64_t offset, std::int64_t total,
                      const BaseUrl& base, std::string filters, const util::Clock& clock)
        : cursor_(std::move(cursor))
        , offset_(offset)
        , total_(total)
        , scheme_(base.scheme)
        , authority_(base.authority)
        , filters_(std::move(filters))
        , clock_(clock)
    {
    }

    Step produce(std::string& out) override
    {
        const BaseUrl base{scheme_, authority_};
        if (!started_) {
            started_ = true;
            append_head(out, offset_, -1, total_);
        }
        domain::JobSession session;
        while (out.size() < kPieceBytes) {
            auto more = cursor_->next(session);
            if (!more || !*more) {
                // A failure half-way cannot become an error status any more; end the document cleanly and
                // let the log tell.
                out.append("]");
                std::string self;
                append_href(self, base, filters_, offset_, -1);
                append_links(out, self, base, filters_, offset_, -1, total_);
                return Step::Done;
            }
            if (skipped_ < offset_) {
                ++skipped_;
                continue;
            }
            if (written_++ > 0) {
                out.push_back(',');
            }
            dto::append_session(out, session, base, clock_.now());
        }
        return Step::More;
    }

private:
    std::unique_ptr<store::SessionCursor> cursor_;
    std::int64_t offset_;
    std::int64_t total_;
    std::string scheme_;
    std::string authority_;
    std::string filters_;
    const util::Clock& clock_;
    bool started_ = false;
    std::int64_t skipped_ = 0;
    std::int64_t written_ = 0;
};

/// One page of a list as asked: by whom, which sessions, and under which key a page of it is kept.
struct PageRequest {
    service::Principal who;
    store::SessionFilter filter;
    std::int64_t offset = 0;
    std::int64_t limit = kDefaultPageSize;
    BaseUrl base;
    /// The query's filters, as the links repeat them.
    std::string filters;
    /// The page's self link.
    std::string self;
    /// Where the page is kept whole: its self link, and whose sessions it shows when the principal sees only some.
    std::string key;

    PageRequest(const Context& ctx, store::SessionFilter page_filter, std::int64_t page_offset, std::int64_t page_limit)
        : who(ctx.who())
        , filter(std::move(page_filter))
        , offset(page_offset)
        , limit(page_limit)
        , base(ctx.base)
        , filters(filters_of(ctx.request.target))
    {
        append_href(self, base, filters, offset, limit);
        key = self;
        if (const auto visible = service::SessionService::visible_to(who, filter); visible.created_by) {
            key.append("\ncreated by ");
            util::append_int(key, *visible.created_by);
        }
    }
};

/// Lists the page and writes it into `out`, or gives the page kept whole when the store listed the same sessions
/// at the same usns with the same total (its text is the answer). A page of finished sessions is kept whole under its
/// key:
/// - where the store keeps a version of its sessions, the first time it is listed, at `version` (read before the
///   page was listed): asked again at that version, it is sent without being listed;
/// - otherwise once the body cache keeps all its sessions' bodies (the second time it is listed, as a body is kept
///   the second time it is offered): a page read once does not take the room of those asked again.
RenderedPages::Kept render_page(Services& services, const PageRequest& asked, std::optional<std::int64_t> version,
                                std::string& out)
{
    HeldSessionBodies held(services.session_bodies, services.rendered_pages, asked.key);
    auto page = services.sessions.list(asked.who, asked.filter, asked.offset, asked.limit, &held);
    if (!page) {
        throw_domain_error(page.error());
    }
    if (const auto& whole = held.whole_page(); whole != nullptr && whole->total_count == page->total_count) {
        if (version && whole->version != version) {
            // Listed again at a later version: the kept page is current at this one too.
            auto again = *whole;
            again.version = version;
            services.rendered_pages.keep(asked.key, std::move(again));
        }
        return whole; // sent from the cache
    }
    const auto& listed = held.listed();
    // A session is about half a kilobyte of JSON: one allocation for the page instead of a dozen regrowths.
    out.reserve(1024 + listed.size() * 768);
    append_head(out, asked.offset, asked.limit, page->total_count);
    const auto now = services.clock.now();
    // The page in list order: bodies the cache held (with their links when they were rendered under this base URL),
    // and the rows the store read for the others (in the same order), rendered and, once final, kept for the next
    // time.
    const dto::SessionLinks links(asked.base);
    auto row = page->sessions.begin();
    bool first = true;
    // The page's bodies as kept, for keeping it whole: null for a session not kept.
    std::vector<SessionBodyCache::Body> bodies;
    bodies.reserve(listed.size());
    bool all_final = true; // a running session's duration grows with the clock: its page is never kept
    for (const auto& session : listed) {
        bodies.push_back(session.body);
        if (!first) {
            out.push_back(',');
        }
        first = false;
        if (session.held()) {
            const auto& kept = *session.body;
            if (links.rendered(kept.links(), session.id)) {
                out.append(kept.text);
            } else {
                out.append(kept.members());
                links.append(out, session.id);
            }
            continue;
        }
        if (row == page->sessions.end() || row->id != session.id) {
            throw std::logic_error("the page's rows are not those it listed");
        }
        const auto begin = out.size();
        dto::append_session_members(out, *row, now);
        const auto links_at = out.size() - begin;
        links.append(out, session.id);
        if (domain::is_final(row->status)) {
            bodies.back() =
                services.session_bodies.keep(row->id, row->usn, std::string_view(out).substr(begin), links_at);
        } else {
            all_final = false;
        }
        ++row;
    }
    out.append("]");
    append_links(out, asked.self, asked.base, asked.filters, asked.offset, asked.limit, page->total_count);
    RenderedPages::Page whole{page->total_count, held.sessions(), std::move(bodies), out, version};
    if (!whole.bodies.empty() && (whole.holds_every_body() || (version && all_final))) {
        services.rendered_pages.keep(asked.key, std::move(whole));
    }
    return nullptr;
}

/// Answers with the text of a page kept whole, shared rather than copied, and with its compressed copy, kept with
/// it, for a client that takes gzip.
void send_kept_page(http::Response& response, const RenderedPages::Kept& page, std::string_view accept_encoding)
{
    response.shared_body = std::shared_ptr<const std::string>(page, &page->text);
    if (http::accepts_coding(accept_encoding, "gzip")) {
        response.shared_gzipped_body = RenderedPages::gzipped(page);
    }
}

/// The answer to a page of a list on a store that keeps a version of its sessions. The version is read on the I/O
/// thread's event loop; a page kept whole at that version is sent as it is, and one being listed at it by another
/// request is waited for. Otherwise the page is listed on the blocking pool, as on any store, and kept at that
/// version.
class PageAnswer final : public LaterAnswer, public std::enable_shared_from_this<PageAnswer> {
public:
    PageAnswer(Context& ctx, PageRequest asked)
        : LaterAnswer(ctx)
        , asked_(std::move(asked))
    {
    }

    /// Only the listing, once the version did not match a kept page.
    [[nodiscard]] bool blocking() const override { return listing_; }

    Step produce(std::string& /*out*/) override
    {
        if (listing_) {
            list();
            return Step::Done;
        }
        if (joined_ != nullptr) {
            return take_joined();
        }
        if (!was_asked()) {
            asked();
            services_.sessions.lists_version_later(io_, [self = shared_from_this()](service::Outcome<std::int64_t> v) {
                self->version_ = std::move(v);
                self->woken();
            });
        }
        if (!version_) {
            return gave_up() ? Step::Done : Step::Wait;
        }
        if (*version_) {
            auto& pages = services_.rendered_pages;
            whole_ = pages.find_at(asked_.key, **version_);
            if (whole_ != nullptr) {
                return Step::Done;
            }
            joined_ = pages.join_listing(asked_.key, **version_, mine_);
            if (joined_ != nullptr) {
                if (!joined_->wait([self = shared_from_this()] { self->woken(); })) {
                    return Step::Wait;
                }
                return take_joined();
            }
        }
        // Not kept at this version (or the version could not be read: the listing then says what fails).
        listing_ = true;
        return Step::More;
    }

private:
    /// Lists the page (on the blocking pool) into one shared text, sent as this answer's body and given as it is to
    /// the requests waiting for it.
    void list()
    {
        try {
            const auto version = version_ && *version_ ? std::optional(**version_) : std::nullopt;
            std::string text;
            whole_ = render_page(services_, asked_, version, text);
            kept_ = whole_ != nullptr ? std::shared_ptr<const std::string>(whole_, &whole_->text)
                                      : std::make_shared<const std::string>(std::move(text));
        } catch (...) {
            failed();
        }
        if (mine_ != nullptr) {
            services_.rendered_pages.end_listing(asked_.key, mine_, kept_);
        }
    }

    /// The text of the listing waited for, once it is done; a listing that failed is done again by this request.
    Step take_joined()
    {
        if (!joined_->done()) {
            return gave_up() ? Step::Done : Step::Wait;
        }
        kept_ = joined_->text();
        if (kept_ != nullptr) {
            return Step::Done;
        }
        joined_.reset();
        listing_ = true;
        return Step::More;
    }

    void replace_body(http::Response& response) override
    {
        if (whole_ != nullptr) {
            send_kept_page(response, whole_, accept_encoding());
        } else if (kept_ != nullptr) {
            response.shared_body = std::move(kept_);
        }
    }

    PageRequest asked_;
    std::optional<service::Outcome<std::int64_t>> version_;
    bool listing_ = false;
    /// The listing of the page by another request, waited for.
    std::shared_ptr<RenderedPages::Listing> joined_;
    /// This request's listing of the page, which others may wait for.
    std::shared_ptr<RenderedPages::Listing> mine_;
    /// The page kept whole that answers, found at the version or by the listing.
    RenderedPages::Kept whole_;
    /// The page's text otherwise: listed by another request or by this one; sent as it is.
    std::shared_ptr<const std::string> kept_;
};

/// Whether a page with this `limit` has its version read on the I/O thread (PageAnswer): the store keeps one and
/// the page is not the whole list (limit=-1 streams every session, on the blocking pool).
bool validates_page_by_version(const http::Request& request, const service::SessionService& sessions,
                               std::int64_t limit)
{
    return limit != -1 && sessions.versions_lists() && request.io != nullptr;
}

} // namespace

store::ReadCost list_sessions_read_cost(http::Request& request, const service::SessionService& sessions)
{
    auto query = Params::from_target(request.target);
    if (!query) {
        return store::ReadCost::Quick; // refused at once
    }
    ApiError errors = ApiError::validation();
    auto filter = read_filter(*query, errors);
    if (errors.has_errors()) {
        return store::ReadCost::Quick; // refused at once
    }
    // A page validated by version holds nothing up: the handler only starts reading the version.
    const auto limit = read_integer(*query, "limit", kDefaultPageSize, -1, kMaxPageSize, errors);
    const auto cost =
        validates_page_by_version(request, sessions, limit) ? store::ReadCost::Quick : sessions.list_cost(filter);
    request.application_state = ParsedQuery{std::move(*query), std::move(filter)};
    return cost;
}

void list_sessions(Context& ctx)
{
    const auto& query = ctx.query();
    ApiError errors = ApiError::validation();
    const auto offset = read_integer(query, "offset", 0, 0, kMaxExactInteger, errors);
    auto limit = read_integer(query, "limit", kDefaultPageSize, -1, kMaxPageSize, errors);
    // Read already when the request was placed, unless that found a fault (read again, to name it).
    const auto* parsed = std::any_cast<ParsedQuery>(&ctx.request.application_state);
    const auto filter = parsed != nullptr ? parsed->filter : read_filter(query, errors);
    if (errors.has_errors()) {
        throw errors;
    }
    if (limit == -1) {
        auto total = ctx.services.sessions.count(ctx.who(), filter);
        if (!total) {
            throw_domain_error(total.error());
        }
        auto cursor = ctx.services.sessions.cursor(ctx.who(), filter);
        if (!cursor) {
            throw_domain_error(cursor.error());
        }
        ctx.response.content_type = kJson;
        ctx.response.stream = std::make_shared<SessionListStream>(std::move(*cursor), offset, *total, ctx.base,
                                                                  filters_of(ctx.request.target), ctx.services.clock);
        return;
    }
    PageRequest asked(ctx, filter, offset, limit);
    if (validates_page_by_version(ctx.request, ctx.services.sessions, limit)) {
        LaterAnswer::answer_later(ctx, std::make_shared<PageAnswer>(ctx, std::move(asked)));
        return;
    }
    ctx.response.content_type = kJson;
    if (auto whole = render_page(ctx.services, asked, std::nullopt, ctx.response.body); whole != nullptr) {
        send_kept_page(ctx.response, whole, ctx.request.accept_encoding);
    }
}

} // namespace jobsessions::api
