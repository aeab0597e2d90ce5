// SPDX-License-Identifier: Apache-2.0
#include "cli/api_client.hpp"

#include "cli/errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <chrono>
#include <cstdlib>

namespace jobsessions::cli {
namespace {

// An access token with less life left than this is refreshed first: a call must not race its expiry.
constexpr std::int64_t kRefreshMargin = 60;
// What is kept of a failed streamed answer: its problem document.
constexpr std::size_t kLargestProblem = std::size_t{64} * 1024;

std::string env(const char* name)
{
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

std::int64_t now_seconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string not_signed_in(const std::string& profile)
{
    return "not signed in" + (profile == "default" ? std::string() : " (profile " + profile + ")") +
           ": run jobsessions login";
}

} // namespace

std::string problem_text(const HttpResponse& response)
{
    boost::system::error_code ec;
    const auto doc = boost::json::parse(response.body, ec);
    if (ec || !doc.is_object()) {
        return "the server answered " + std::to_string(response.status);
    }
    const auto& problem = doc.get_object();
    std::string text;
    if (const auto* detail = problem.if_contains("detail"); detail != nullptr && detail->is_string()) {
        text = std::string(detail->get_string());
    } else if (const auto* title = problem.if_contains("title"); title != nullptr && title->is_string()) {
        text = std::string(title->get_string());
    } else {
        text = "the server answered " + std::to_string(response.status);
    }
    if (const auto* errors = problem.if_contains("errors"); errors != nullptr && errors->is_object()) {
        for (const auto& [field, messages] : errors->get_object()) {
            if (!messages.is_array()) {
                continue;
            }
            for (const auto& message : messages.get_array()) {
                if (message.is_string()) {
                    text += " " + std::string(field) + ": " + std::string(message.get_string());
                }
            }
        }
    }
    if (const auto* trace = problem.if_contains("traceId"); trace != nullptr && trace->is_string()) {
        text += " (trace " + std::string(trace->get_string()) + ")";
    }
    return text;
}

ExitCode exit_code_for(int status) noexcept
{
    if (status == 401 || status == 403) {
        return kNotAllowed;
    }
    if (status == 408 || status == 504) {
        return kTimeout;
    }
    return kError;
}

std::string form_value(std::string_view value)
{
    return boost::urls::encode(value, boost::urls::unreserved_chars);
}

std::string query_value(std::string_view value)
{
    return boost::urls::encode(value, boost::urls::unreserved_chars);
}

ApiClient::ApiClient(const ConnectionFlags& flags)
    : config_(ConfigFile::default_path())
{
    config_.load();
    profile_name_ = !flags.profile.empty()                ? flags.profile
                    : !env("JOBSESSIONS_PROFILE").empty() ? env("JOBSESSIONS_PROFILE")
                                                          : config_.current;
    const auto found = config_.profiles.find(profile_name_);
    const Profile* profile = found == config_.profiles.end() ? nullptr : &found->second;
    if (profile == nullptr && profile_name_ != config_.current) {
        throw CliError(kNotAllowed, "there is no profile " + profile_name_ + ": jobsessions --profile " +
                                        profile_name_ + " login URL makes it");
    }
    server_ = !flags.server.empty()                ? flags.server
              : !env("JOBSESSIONS_SERVER").empty() ? env("JOBSESSIONS_SERVER")
              : profile != nullptr                 ? profile->server
                                                   : std::string();
    if (server_.empty()) {
        throw CliError(kNotAllowed, "no server: run jobsessions login URL, or set JOBSESSIONS_SERVER");
    }
    fixed_token_ = env("JOBSESSIONS_TOKEN");
    Trust trust{flags.fingerprint, flags.cacert, flags.insecure};
    // The profile's trust belongs to the profile's server.
    if (trust.fingerprint.empty() && trust.cacert.empty() && !trust.insecure && profile != nullptr &&
        profile->server == server_) {
        trust = Trust{profile->fingerprint, profile->cacert, profile->insecure};
    }
    connection_ = std::make_unique<Connection>(server_, trust);
    if (trust.insecure) {
        std::fprintf(stderr, "jobsessions: warning: --insecure: the server's certificate is not checked, so anyone "
                             "on the way can read and change what is sent\n");
    }
    if (fixed_token_.empty() && (profile == nullptr || profile->refresh_token.empty() || profile->server != server_)) {
        throw CliError(kNotAllowed, not_signed_in(profile_name_));
    }
}

std::string ApiClient::token_for_call()
{
    if (!fixed_token_.empty()) {
        return fixed_token_;
    }
    const auto& profile = config_.profiles.at(profile_name_);
    if (profile.access_token.empty() || profile.access_token_expires_at - kRefreshMargin <= now_seconds()) {
        refresh(profile.access_token);
    }
    return config_.profiles.at(profile_name_).access_token;
}

void ApiClient::refresh(const std::string& stale)
{
    const auto guard = config_.lock();
    config_.load(); // another invocation may have refreshed while this one waited for the lock
    const auto found = config_.profiles.find(profile_name_);
    if (found == config_.profiles.end() || found->second.refresh_token.empty()) {
        throw CliError(kNotAllowed, not_signed_in(profile_name_));
    }
    Profile& profile = found->second;
    if (profile.access_token != stale && profile.access_token_expires_at - kRefreshMargin > now_seconds()) {
        return;
    }
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/oauth2/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = "grant_type=refresh_token&refresh_token=" + form_value(profile.refresh_token);
    const auto response = connection_->send(request);
    if (response.status == 400 || response.status == 401) {
        // The login ended (expired, revoked, the user disabled): forget it.
        profile.access_token.clear();
        profile.refresh_token.clear();
        config_.save();
        throw CliError(kNotAllowed, "the login has ended (" + problem_text(response) + "): run jobsessions login");
    }
    if (response.status != 200) {
        throw CliError(exit_code_for(response.status), "cannot refresh the login: " + problem_text(response));
    }
    boost::system::error_code ec;
    const auto doc = boost::json::parse(response.body, ec);
    if (ec || !doc.is_object() || !doc.get_object().contains("access_token") ||
        !doc.get_object().contains("refresh_token")) {
        throw CliError(kError, "the token endpoint's answer is not one a jobsessiond gives");
    }
    const auto& answer = doc.get_object();
    profile.access_token = std::string(answer.at("access_token").as_string());
    profile.refresh_token = std::string(answer.at("refresh_token").as_string());
    const auto* expires_in = answer.if_contains("expires_in");
    profile.access_token_expires_at =
        now_seconds() + (expires_in != nullptr && expires_in->is_int64() ? expires_in->get_int64() : 0);
    config_.save();
}

HttpResponse ApiClient::call(const HttpRequest& request)
{
    for (int attempt = 0;; ++attempt) {
        const auto token = token_for_call();
        auto sent = request;
        sent.headers.emplace_back("Authorization", "Bearer " + token);
        auto response = connection_->send(sent);
        // A token refused before its time (the server's key changed, the login was revoked): refresh once.
        if (response.status == 401 && attempt == 0 && fixed_token_.empty()) {
            refresh(token);
            continue;
        }
        if (response.status >= 400) {
            throw HttpProblem(response.status, exit_code_for(response.status), problem_text(response));
        }
        return response;
    }
}

boost::json::value ApiClient::call_json(HttpRequest request)
{
    request.headers.emplace_back("Accept", "application/json");
    const auto response = call(request);
    boost::system::error_code ec;
    auto doc = boost::json::parse(response.body, ec);
    if (ec) {
        throw CliError(kError, "the server's answer is not JSON");
    }
    return doc;
}

void ApiClient::stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data)
{
    for (int attempt = 0;; ++attempt) {
        const auto token = token_for_call();
        auto sent = request;
        sent.headers.emplace_back("Authorization", "Bearer " + token);
        HttpResponse head;
        std::string error_body;
        bool failed = false;
        connection_->stream(
            sent,
            [&](const HttpResponse& h) {
                head = h;
                failed = h.status >= 400;
            },
            [&](std::string_view data) {
                if (failed) {
                    error_body.append(data.substr(0, kLargestProblem - std::min(error_body.size(), kLargestProblem)));
                    return true;
                }
                return on_data(data);
            });
        if (!failed) {
            return;
        }
        if (head.status == 401 && attempt == 0 && fixed_token_.empty()) {
            refresh(token);
            continue;
        }
        head.body = std::move(error_body);
        throw HttpProblem(head.status, exit_code_for(head.status), problem_text(head));
    }
}

} // namespace jobsessions::cli
