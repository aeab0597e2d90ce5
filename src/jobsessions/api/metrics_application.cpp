// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/metrics_application.hpp"

#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/trace.hpp"
#include "jobsessions/util/strings.hpp"

#include <optional>
#include <string>

namespace jobsessions::api {
namespace {

constexpr std::string_view kText = "text/plain; charset=utf-8";

void answer_text(http::Response& response, int status, std::string_view text)
{
    response.reset();
    response.status = status;
    response.content_type = kText;
    response.body.assign(text);
}

} // namespace

MetricsApplication::MetricsApplication(const metrics::Registry& registry, const service::ClusterService* cluster)
    : registry_(registry)
    , cluster_(cluster)
{
}

bool MetricsApplication::needs_blocking_pool(http::Request& /*request*/) noexcept
{
    return true; // a scrape reads /proc and what the store keeps: off the I/O thread
}

void MetricsApplication::handle(http::Request& request, http::Response& response) noexcept
{
    try {
        const auto path = request.target.substr(0, request.target.find('?'));
        if (!util::iequals(path, "/metrics")) {
            answer_text(response, 404, "Only /metrics is served here.\n");
            return;
        }
        if (request.method != boost::beast::http::verb::get && request.method != boost::beast::http::verb::head) {
            answer_text(response, 405, "Only GET.\n");
            response.add_header("Allow", "GET, HEAD");
            return;
        }
        if (auto refusal = cluster_ != nullptr ? cluster_->refusal() : std::nullopt) {
            // As the main address answers it: a problem document.
            response.reset();
            write_problem(ApiError::with_status(503, std::move(*refusal)), path,
                          TraceId::make(request.traceparent).text(), response);
            return;
        }
        response.content_type = metrics::Registry::kContentType;
        response.body = registry_.render();
    } catch (...) {
        response.reset();
        response.status = 500;
        response.close = true;
    }
}

void MetricsApplication::refuse(int status, std::string_view detail, const http::Request& /*request*/,
                                http::Response& response) noexcept
{
    try {
        answer_text(response, status, detail);
        response.close = true;
    } catch (...) {
        response.reset();
        response.status = status;
        response.close = true;
    }
}

} // namespace jobsessions::api
