// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/application.hpp"

namespace jobsessions::web {

/// The front door: requests under /api go to the API as they are; every other GET is the web console, the Swagger
/// UI page or one of their files, all built into the binary (embedded_assets.hpp). Console addresses the server
/// does not know are the console's own routes and answer its page; unknown files under /assets/ are 404.
/// Every answer of this side carries a strict Content-Security-Policy and the other security headers.
class WebApplication final : public http::Application {
public:
    explicit WebApplication(http::Application& api);

    bool needs_blocking_pool(http::Request& request) noexcept override;
    void begin_round() noexcept override;
    void end_round() noexcept override;
    void handle(http::Request& request, http::Response& response) noexcept override;
    void refuse(int status, std::string_view detail, const http::Request& request,
                http::Response& response) noexcept override;
    void answered(const http::Request& request, const http::Response& response,
                  std::chrono::nanoseconds elapsed) noexcept override;

    /// True for a target the API answers: /api and everything under it, in any case (as the API's routes).
    [[nodiscard]] static bool is_api(std::string_view target) noexcept;

private:
    http::Application& api_;
};

} // namespace jobsessions::web
