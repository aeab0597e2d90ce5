// SPDX-License-Identifier: Apache-2.0
#include "cli/following.hpp"

#include "cli/errors.hpp"
#include "cli/sse.hpp"

#include <boost/json/parse.hpp>

#include <iostream>
#include <thread>

namespace jobsessions::cli {
namespace {

// A followed log sends a heartbeat every 15 s: a connection silent for longer than this has dropped.
constexpr auto kSilentConnection = std::chrono::seconds(45);

} // namespace

bool is_final_status(std::string_view status) noexcept
{
    return status == "Success" || status == "Warning" || status == "Error" || status == "Canceled" ||
           status == "NeverExecuted";
}

ExitCode outcome_exit_code(std::string_view status) noexcept
{
    return status == "Success" || status == "Warning" ? kSuccess : kSessionFailed;
}

std::string follow_log(ApiClient& client, const GlobalOptions& global, const std::string& id, std::int64_t after)
{
    // One entry a line, whatever the format: a followed log has no end to close a JSON document with.
    const auto format =
        global.format() == Format::Json || global.format() == Format::Yaml ? Format::Jsonl : global.format();
    Printer printer(format, log_columns(), global.style());
    printer.no_header = true;
    printer.streaming = true;
    std::string last_id = after > 0 ? std::to_string(after) : std::string();
    std::string final_status;
    client.connection().set_step_timeout(kSilentConnection);
    for (int failures = 0;;) {
        HttpRequest request{
            "GET", "/api/v1/jobSessions/" + query_value(id) + "/log", {{"Accept", "text/event-stream"}}, {}};
        if (!last_id.empty()) {
            request.headers.emplace_back("Last-Event-ID", last_id);
        }
        SseParser parser([&](const SseEvent& event) {
            if (event.type == "log") {
                printer.add(boost::json::parse(event.data).as_object());
                if (!event.id.empty()) {
                    last_id = event.id;
                }
            } else if (event.type == "status") {
                const auto session = boost::json::parse(event.data);
                const std::string status(session.at("status").as_string());
                if (is_final_status(status)) {
                    final_status = status;
                }
            }
        });
        try {
            client.stream(request, [&parser](std::string_view piece) {
                parser.feed(piece);
                return true;
            });
            failures = 0;
            if (!final_status.empty()) {
                break;
            }
            // Ended without a final status: the server restarted or a proxy closed it. Resume.
        } catch (const HttpProblem&) {
            throw; // the session is gone, or the login: trying again changes nothing
        } catch (const CliError& e) {
            ++failures;
            std::cerr << "jobsessions: " << e.what() << "; reconnecting\n";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(failures, 5) * 1000));
    }
    printer.finish();
    return final_status;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text)
{
    if (text.empty()) {
        return std::nullopt;
    }
    long long total = 0;
    long long number = -1;
    for (const char c : text) {
        if (c >= '0' && c <= '9') {
            number = (number < 0 ? 0 : number) * 10 + (c - '0');
            if (number > 100'000'000) {
                return std::nullopt;
            }
            continue;
        }
        if (number < 0) {
            return std::nullopt;
        }
        switch (c) {
        case 'h':
            total += number * 3600;
            break;
        case 'm':
            total += number * 60;
            break;
        case 's':
            total += number;
            break;
        default:
            return std::nullopt;
        }
        number = -1;
    }
    if (number >= 0) {
        total += number; // a bare number is seconds
    }
    return std::chrono::seconds(total);
}

} // namespace jobsessions::cli
