// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/params.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/util/strings.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace jobsessions::api {
namespace {

[[noreturn]] void oauth_error(int status, std::string error, std::string description)
{
    ApiError e = ApiError::with_status(status, std::move(description));
    e.oauth_error = std::move(error);
    e.bearer_error = status == 401 ? e.oauth_error : std::string();
    throw e;
}

void write_grant(Context& ctx, const service::TokenGrant& grant)
{
    boost::json::object body;
    body["access_token"] = grant.access_token;
    body["token_type"] = "bearer";
    body["refresh_token"] = grant.refresh_token;
    body["expires_in"] = (grant.expires - grant.issued) / util::kMicrosPerSecond;
    body[".issued"] = util::format_timestamp_7(grant.issued);
    body[".expires"] = util::format_timestamp_7(grant.expires);
    body["userId"] = std::to_string(grant.user_id);
    body["username"] = grant.username;
    body["roleName"] = domain::to_string(grant.role);
    ctx.response.status = 200;
    ctx.response.content_type = kJson;
    ctx.response.body = boost::json::serialize(body);
    ctx.response.add_header("Cache-Control", "no-store");
    ctx.response.add_header("Pragma", "no-cache");
}

// A granted pair, or the OAuth error for a refused one (an unavailable store stays a 503).
void answer(Context& ctx, const service::Outcome<service::TokenGrant>& grant)
{
    if (!grant) {
        if (grant.error().code == service::DomainErrc::Unavailable) {
            throw_domain_error(grant.error());
        }
        oauth_error(401, "invalid_grant", grant.error().message);
    }
    write_grant(ctx, *grant);
}

} // namespace

void issue_token(Context& ctx)
{
    const auto form = Params::parse(ctx.request.body);
    if (!form) {
        oauth_error(400, "invalid_request", "The body is not a valid form.");
    }
    const auto grant_type = form->first("grant_type").value_or("password");
    if (util::iequals(grant_type, "password")) {
        const auto username = form->first("username");
        const auto password = form->first("password");
        if (!username || !password) {
            oauth_error(400, "invalid_request", "The username and password fields are required.");
        }
        answer(ctx, ctx.services.auth.login(*username, *password));
        return;
    }
    if (util::iequals(grant_type, "refresh_token")) {
        const auto token = form->first("refresh_token");
        if (!token) {
            oauth_error(400, "invalid_request", "The refresh_token field is required.");
        }
        answer(ctx, ctx.services.auth.refresh(*token));
        return;
    }
    oauth_error(400, "unsupported_grant_type",
                "The grant type '" + grant_type + "' is not supported; use password or refresh_token.");
}

void revoke_token(Context& ctx)
{
    if (auto done = ctx.services.auth.logout(ctx.who().login_id); !done) {
        throw_domain_error(done.error());
    }
    ctx.response.status = 204;
}

} // namespace jobsessions::api
