// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/web/web_application.hpp"

#include "jobsessions/http/negotiation.hpp"
#include "jobsessions/util/strings.hpp"
#include "jobsessions/web/embedded_assets.hpp"

namespace jobsessions::web {
namespace {

// No script or style from anywhere but this server, none inline, no frames, no plugins; data: images for the
// icons that the Swagger UI draws.
constexpr std::string_view kSecurityHeaders =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n";

constexpr std::string_view kProblem = "application/problem+json; charset=utf-8";

// What the console's address names: an embedded file, the Swagger UI page, or else the console page, whose
// script reads the rest of the address. Files under /assets/ are never the page: a stale script asking for a file
// of an older build gets a 404, not HTML.
const EmbeddedAsset* resolve(std::string_view path) noexcept
{
    if (const auto* asset = find_embedded_asset(path)) {
        return asset;
    }
    if (path.starts_with("/assets/")) {
        return nullptr;
    }
    if (path == "/swagger/" || path == "/swagger/index.html") {
        return find_embedded_asset("/swagger");
    }
    return find_embedded_asset("/");
}

void write_problem(http::Response& response, int status, std::string_view title, std::string_view detail)
{
    response.status = status;
    response.content_type = kProblem;
    response.body.append(R"({"type":"about:blank","title":")");
    response.body.append(title);
    response.body.append(R"(","status":)");
    response.body.append(std::to_string(status));
    response.body.append(R"(,"detail":")");
    response.body.append(detail);
    response.body.append(R"("})");
}

void answer(const http::Request& request, http::Response& response)
{
    response.extra_headers.append(kSecurityHeaders);
    if (request.method != boost::beast::http::verb::get && request.method != boost::beast::http::verb::head) {
        write_problem(response, 405, "Method Not Allowed", "The console's pages and files are read with GET.");
        response.add_header("Allow", "GET, HEAD");
        return;
    }
    const auto path = request.target.substr(0, request.target.find_first_of("?#"));
    const EmbeddedAsset* asset = resolve(path);
    if (asset == nullptr) {
        write_problem(response, 404, "Not Found", "There is no such file.");
        return;
    }
    // The smallest form the client takes; each form has its own entity tag.
    const auto form = preferred_form(*asset, request.accept_encoding);
    std::string etag(asset->etag);
    etag.insert(etag.size() - 1, form.coding == "br" ? "-br" : form.coding == "gzip" ? "-gz" : "");

    response.add_header("ETag", etag);
    response.add_header("Cache-Control", asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (!asset->gzip.empty() || !asset->brotli.empty()) {
        response.add_header("Vary", "Accept-Encoding");
    }
    if (!request.if_none_match.empty() && http::etag_matches(request.if_none_match, etag)) {
        response.status = 304;
        return;
    }
    if (!form.coding.empty()) {
        response.add_header("Content-Encoding", form.coding);
    }
    response.status = 200;
    response.content_type = asset->content_type;
    response.static_body = form.body;
}

} // namespace

WebApplication::WebApplication(http::Application& api)
    : api_(api)
{
}

bool WebApplication::is_api(std::string_view target) noexcept
{
    const auto under = [&](std::string_view prefix) {
        return target.size() >= prefix.size() && util::iequals(target.substr(0, prefix.size()), prefix) &&
               (target.size() == prefix.size() || target[prefix.size()] == '/' || target[prefix.size()] == '?');
    };
    // The health checks and the metrics are the API's too: they answer from the store, like it.
    return under("/api") || under("/health") || under("/metrics");
}

bool WebApplication::needs_blocking_pool(http::Request& request) noexcept
{
    // The console's files are in memory: answered on the I/O thread.
    return is_api(request.target) && api_.needs_blocking_pool(request);
}

void WebApplication::begin_round() noexcept
{
    api_.begin_round();
}

void WebApplication::end_round() noexcept
{
    api_.end_round();
}

void WebApplication::handle(http::Request& request, http::Response& response) noexcept
{
    if (is_api(request.target)) {
        api_.handle(request, response);
        return;
    }
    request.route_name = "console";
    try {
        answer(request, response);
    } catch (...) {
        // Out of memory while writing the head: answer with the bare status.
        response.reset();
        response.status = 500;
        response.close = true;
    }
}

void WebApplication::refuse(int status, std::string_view detail, const http::Request& request,
                            http::Response& response) noexcept
{
    api_.refuse(status, detail, request, response);
}

void WebApplication::answered(const http::Request& request, const http::Response& response,
                              std::chrono::nanoseconds elapsed) noexcept
{
    api_.answered(request, response, elapsed); // the API counts every request, the console's by their route name
}

} // namespace jobsessions::web
