// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"
#include "jobsessions/api/router.hpp"
#include "jobsessions/http/application.hpp"

namespace jobsessions::api {

/// The API as the transport sees it: routing, then a fixed chain — host check, authentication, role check, body
/// type — then the handler, with the one place where errors become problem+json. Thread-safe.
class ApiApplication final : public http::Application {
public:
    /// `services` must outlive the application.
    explicit ApiApplication(Services& services);

    bool needs_blocking_pool(http::Request& request) noexcept override;
    void begin_round() noexcept override;
    void end_round() noexcept override;
    void handle(http::Request& request, http::Response& response) noexcept override;
    void refuse(int status, std::string_view detail, const http::Request& request,
                http::Response& response) noexcept override;
    void answered(const http::Request& request, const http::Response& response,
                  std::chrono::nanoseconds elapsed) noexcept override;

private:
    void run_chain(const Route& route, Context& ctx);
    void log_request(Context& ctx, std::string_view internal_detail) noexcept;

    Services& services_;
    Router router_;
};

} // namespace jobsessions::api
