// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/params.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/request_log.hpp"
#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/util/strings.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace jobsessions::api {
namespace {

ApiError oauth_problem(int status, std::string error, std::string description)
{
    ApiError e = ApiError::with_status(status, std::move(description));
    e.oauth_error = std::move(error);
    e.bearer_error = status == 401 ? e.oauth_error : std::string();
    return e;
}

[[noreturn]] void oauth_error(int status, std::string error, std::string description)
{
    throw oauth_problem(status, std::move(error), std::move(description));
}

/// Where a granted refresh token goes: in the body (OAuth, every API client), or, for the web console, only in a
/// cookie that no script can read and that the browser sends to the token endpoint alone.
/// None: the grant makes no refresh token (client credentials).
enum class RefreshDelivery : std::uint8_t { Body, Cookie, None };

constexpr std::string_view kRefreshCookie = "jobsessions_refresh";
constexpr std::string_view kRefreshCookieAttributes = "; Path=/api/oauth2/token; HttpOnly; Secure; SameSite=Strict";

// Beside the HttpOnly refresh cookie, a hint the console's script can read: that there is a login to resume, so
// that a page opened without one goes straight to the sign-in form instead of asking the token endpoint in vain.
constexpr std::string_view kLoginHintCookie = "jobsessions_login";

void set_refresh_cookie(http::Response& response, std::string_view token, std::int64_t max_age_seconds)
{
    const auto max_age = std::to_string(max_age_seconds);
    std::string cookie(kRefreshCookie);
    cookie += '=';
    cookie += token;
    cookie += "; Max-Age=";
    cookie += max_age;
    cookie += kRefreshCookieAttributes;
    response.add_header("Set-Cookie", cookie);
    cookie = kLoginHintCookie;
    cookie += token.empty() ? "=" : "=1";
    cookie += "; Max-Age=";
    cookie += max_age;
    cookie += "; Path=/; Secure; SameSite=Strict";
    response.add_header("Set-Cookie", cookie);
}

void clear_refresh_cookie(http::Response& response)
{
    set_refresh_cookie(response, "", 0);
}

/// The value of the refresh cookie in a Cookie field, if it is there.
std::optional<std::string> refresh_cookie(std::string_view cookie_header)
{
    while (!cookie_header.empty()) {
        const auto semicolon = cookie_header.find(';');
        const auto pair = util::trim(cookie_header.substr(0, semicolon));
        cookie_header = semicolon == std::string_view::npos ? std::string_view() : cookie_header.substr(semicolon + 1);
        const auto equals = pair.find('=');
        if (equals != std::string_view::npos && util::trim(pair.substr(0, equals)) == kRefreshCookie) {
            const auto value = util::trim(pair.substr(equals + 1));
            if (!value.empty()) {
                return std::string(value);
            }
        }
    }
    return std::nullopt;
}

void write_grant(http::Response& response, const service::TokenGrant& grant, RefreshDelivery delivery)
{
    boost::json::object body;
    body["access_token"] = grant.access_token;
    body["token_type"] = "bearer";
    if (delivery == RefreshDelivery::Body) {
        body["refresh_token"] = grant.refresh_token;
    } else if (delivery == RefreshDelivery::Cookie) {
        set_refresh_cookie(response, grant.refresh_token,
                           (grant.refresh_expires - grant.issued) / util::kMicrosPerSecond);
    }
    body["expires_in"] = (grant.expires - grant.issued) / util::kMicrosPerSecond;
    body[".issued"] = util::format_timestamp_7(grant.issued);
    body[".expires"] = util::format_timestamp_7(grant.expires);
    body["userId"] = std::to_string(grant.user_id);
    body["username"] = grant.username;
    body["roleName"] = domain::to_string(grant.role);
    response.status = 200;
    response.content_type = kJson;
    response.body = boost::json::serialize(body);
    response.add_header("Cache-Control", "no-store");
    response.add_header("Pragma", "no-cache");
}

// A granted pair, or the OAuth error for a refused one (an unavailable store stays a 503). A refused refresh
// cookie is cleared, so that the console stops presenting it.
void answer(Context& ctx, const service::Outcome<service::TokenGrant>& grant, RefreshDelivery delivery)
{
    if (!grant) {
        if (grant.error().code == service::DomainErrc::Unavailable) {
            throw_domain_error(grant.error());
        }
        ApiError error = oauth_problem(401, "invalid_grant", grant.error().message);
        if (delivery == RefreshDelivery::Cookie) {
            http::Response cleared;
            clear_refresh_cookie(cleared);
            error.headers = std::move(cleared.extra_headers);
        }
        throw error;
    }
    write_grant(ctx.response, *grant, delivery);
}

/// The answer to a password grant, sent once the login has been checked: the auth service checks it on its own
/// hashing pool, and a failed login's answer then waits out its delay on the connection's timer. No thread is
/// held meanwhile, so a flood of guesses ties up neither the I/O threads nor the pool that serves writes.
class LoginAnswer final : public http::BodySource, public std::enable_shared_from_this<LoginAnswer> {
public:
    LoginAnswer(service::AuthService& auth, service::LoginAttempt attempt, RefreshDelivery delivery,
                const util::Clock& clock, Context& ctx)
        : auth_(auth)
        , attempt_(std::move(attempt))
        , delivery_(delivery)
        , clock_(clock)
        , instance_(ctx.path())
        , trace_id_(ctx.trace_id())
        , log_(RequestLog::of(ctx))
        , access_log_(ctx.services.config.access_log)
    {
    }

    [[nodiscard]] bool blocking() const override { return false; }

    void set_waker(const std::function<void()>& wake) override { wake_ = wake; }

    [[nodiscard]] std::chrono::milliseconds wait_limit() const override
    {
        std::lock_guard lock(mutex_);
        if (!outcome_) {
            return std::chrono::seconds(60); // woken when the check is done; this is only a bound
        }
        const auto left = outcome_->answer_at - clock_.now();
        return std::chrono::milliseconds(std::max<util::Micros>(left / 1000 + 1, 1));
    }

    void stop() override { stopped_ = true; }

    Step produce(std::string& /*out*/) override
    {
        if (!started_) {
            started_ = true;
            auth_.login(std::move(attempt_), [self = shared_from_this()](service::LoginOutcome outcome) {
                {
                    std::lock_guard lock(self->mutex_);
                    self->outcome_ = std::move(outcome);
                }
                if (self->wake_) {
                    self->wake_();
                }
            });
        }
        std::lock_guard lock(mutex_);
        if (!outcome_) {
            return Step::Wait; // even when stopping: a login in flight is answered, as any request in flight
        }
        return stopped_ || clock_.now() >= outcome_->answer_at ? Step::Done : Step::Wait;
    }

    void complete(http::Response& response) override
    {
        std::lock_guard lock(mutex_);
        response.body.clear();
        if (!outcome_) {
            write(oauth_problem(503, "temporarily_unavailable", "The server is shutting down."), response);
        } else if (outcome_->grant) {
            write_grant(response, *outcome_->grant, delivery_);
        } else {
            const auto& error = outcome_->grant.error();
            switch (error.code) {
            case service::DomainErrc::Unauthorized:
                // A client's credentials are refused as the client's (RFC 6749 §5.2), a user's as the grant's.
                write(oauth_problem(401, delivery_ == RefreshDelivery::None ? "invalid_client" : "invalid_grant",
                                    error.message),
                      response);
                break;
            case service::DomainErrc::Throttled:
                write(oauth_problem(429, "slow_down", error.message), response);
                break;
            default:
                write(oauth_problem(503, "temporarily_unavailable", error.message), response);
                break;
            }
            if (outcome_->retry_at) {
                // Whole seconds, rounded up: a client that waits that long is let in.
                const auto seconds =
                    (*outcome_->retry_at - clock_.now() + util::kMicrosPerSecond - 1) / util::kMicrosPerSecond;
                response.add_header("Retry-After", std::to_string(std::max<util::Micros>(seconds, 1)));
            }
        }
        if (access_log_ || response.status >= 400) {
            log_.write(response.status, outcome_ && !outcome_->grant ? outcome_->grant.error().internal : "");
        }
    }

private:
    void write(const ApiError& error, http::Response& response) const
    {
        write_problem(error, instance_, trace_id_, response);
    }

    service::AuthService& auth_;
    service::LoginAttempt attempt_;
    RefreshDelivery delivery_;
    const util::Clock& clock_;
    std::string instance_;
    std::string trace_id_;
    RequestLog log_;
    bool access_log_;
    std::function<void()> wake_;
    bool started_ = false;
    std::atomic<bool> stopped_{false};
    mutable std::mutex mutex_;
    std::optional<service::LoginOutcome> outcome_;
};

/// A client's id and secret (for the client credentials grant: a user name and password): in an Authorization:
/// Basic header, each form-encoded before base64 (RFC 6749 §2.3.1), or in the form; one way, not both.
std::pair<std::string, std::string> client_credentials(Context& ctx, const Params& form)
{
    const auto header = ctx.request.authorization;
    const bool basic = header.size() > 6 && util::iequals(header.substr(0, 6), "Basic ");
    const auto id = form.first("client_id");
    const auto secret = form.first("client_secret");
    if (basic && (id || secret)) {
        oauth_error(400, "invalid_request",
                    "Send the client's credentials in the Authorization header or the form, "
                    "not both.");
    }
    if (!basic) {
        if (!id || !secret) {
            oauth_error(400, "invalid_request", "The client_id and client_secret fields are required.");
        }
        return {*id, *secret};
    }
    const auto decoded = auth::base64_decode(util::trim(header.substr(6)));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
        oauth_error(400, "invalid_request", "The Authorization header is not Basic base64(client_id:client_secret).");
    }
    auto client_id = form_decoded(std::string_view(*decoded).substr(0, colon));
    auto client_secret = form_decoded(std::string_view(*decoded).substr(colon + 1));
    if (!client_id || !client_secret) {
        oauth_error(400, "invalid_request",
                    "The client_id or client_secret in the Authorization header is not "
                    "form-encoded.");
    }
    return {std::move(*client_id), std::move(*client_secret)};
}

} // namespace

void issue_token(Context& ctx)
{
    const auto form = Params::parse(ctx.request.body);
    if (!form) {
        oauth_error(400, "invalid_request", "The body is not a valid form.");
    }
    const auto grant_type = form->first("grant_type").value_or("password");
    // The console's extension: the refresh token in an HttpOnly cookie instead of the body. Empty is the default,
    // as for every field here.
    auto delivery_field = form->first("refresh_token_delivery").value_or("body");
    if (delivery_field.empty()) {
        delivery_field = "body";
    }
    if (!util::iequals(delivery_field, "body") && !util::iequals(delivery_field, "cookie")) {
        oauth_error(400, "invalid_request", "refresh_token_delivery must be body or cookie.");
    }
    auto delivery = util::iequals(delivery_field, "cookie") ? RefreshDelivery::Cookie : RefreshDelivery::Body;
    if (util::iequals(grant_type, "password")) {
        const auto username = form->first("username");
        const auto password = form->first("password");
        if (!username || !password) {
            oauth_error(400, "invalid_request", "The username and password fields are required.");
        }
        service::LoginAttempt attempt{*username, *password, ctx.client_address()};
        ctx.response.stream =
            std::make_shared<LoginAnswer>(ctx.services.auth, std::move(attempt), delivery, ctx.services.clock, ctx);
        ctx.response.stream_now = false;
        ctx.answers_later = true;
        return;
    }
    if (util::iequals(grant_type, "client_credentials")) {
        auto [id, secret] = client_credentials(ctx, *form);
        service::LoginAttempt attempt{std::move(id), std::move(secret), ctx.client_address(), false};
        ctx.response.stream = std::make_shared<LoginAnswer>(ctx.services.auth, std::move(attempt),
                                                            RefreshDelivery::None, ctx.services.clock, ctx);
        ctx.response.stream_now = false;
        ctx.answers_later = true;
        return;
    }
    if (util::iequals(grant_type, "refresh_token")) {
        // Without the field, the console's cookie; a token that came in the cookie goes back in one.
        auto token = form->first("refresh_token");
        if (!token) {
            token = refresh_cookie(ctx.request.cookie);
            delivery = RefreshDelivery::Cookie;
        }
        if (!token) {
            oauth_error(400, "invalid_request", "The refresh_token field is required.");
        }
        answer(ctx, ctx.services.auth.refresh(*token), delivery);
        return;
    }
    oauth_error(400, "unsupported_grant_type",
                "The grant type '" + grant_type +
                    "' is not supported; use password, refresh_token or "
                    "client_credentials.");
}

void revoke_token(Context& ctx)
{
    if (auto done = ctx.services.auth.logout(ctx.who().login_id); !done) {
        throw_domain_error(done.error());
    }
    ctx.response.status = 204;
    clear_refresh_cookie(ctx.response); // the console's copy of the revoked refresh token goes too
}

} // namespace jobsessions::api
