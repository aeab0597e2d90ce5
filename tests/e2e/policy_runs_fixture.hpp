// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "e2e/e2e_fixture.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace jobsessions::test {

inline const std::set<std::string> kFinal = {"Success", "Warning", "Error", "Canceled", "NeverExecuted"};

/// A real server whose tests define policies, start runs and watch them end.
class PolicyRuns : public ServerTest {
protected:
    /// Creates a policy from `members` (JSON members without braces) and returns its id.
    std::string define(const std::string& members)
    {
        const auto res = client_->send_json("POST", "/api/v1/policies", "{" + members + "}", admin_token());
        EXPECT_EQ(res.status, 201) << res.body;
        return str(res.json(), "id");
    }

    /// Starts a run; returns the session id.
    std::string start_run(const std::string& policy_id)
    {
        const auto res = client_->send_json("POST", "/api/v1/policies/" + policy_id + "/start", "", admin_token());
        EXPECT_EQ(res.status, 202) << res.body;
        EXPECT_EQ(str(res.json(), "status"), "Running");
        return str(res.json(), "id");
    }

    /// Waits for the session to end, woken by the change feed (no sleeping), and returns it.
    boost::json::object wait_final(const std::string& id)
    {
        for (int round = 0; round < 200; ++round) {
            const auto session = client_->get("/api/v1/jobSessions/" + id, admin_token()).json().as_object();
            if (kFinal.contains(str(session, "status"))) {
                return session;
            }
            wait_for_change();
        }
        ADD_FAILURE() << "session " << id << " did not end";
        return {};
    }

    /// The messages of a session's log, oldest first.
    std::vector<std::string> messages(const std::string& id)
    {
        std::vector<std::string> out;
        const auto log = client_->get("/api/v1/jobSessions/" + id + "/log", admin_token()).json();
        for (const auto& entry : log.at("log").as_array()) {
            out.emplace_back(entry.at("message").as_string());
        }
        return out;
    }

    /// Waits for the log to have an entry whose message is `text` (the run is going on), woken by the live follow.
    void wait_for_output(const std::string& id, const std::string& text)
    {
        const std::string entry = R"("message":")" + text + '"';
        StreamReader follow(*server_, "GET /api/v1/jobSessions/" + id +
                                          "/log HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                                          "Authorization: Bearer " +
                                          admin_token() + "\r\n\r\n");
        follow.read_until([&](const std::string& got) { return got.find(entry) != std::string::npos; },
                          std::chrono::seconds(30));
        ASSERT_NE(follow.received().find(entry), std::string::npos) << follow.received();
    }
};

inline bool contains(const std::vector<std::string>& lines, const std::string& text)
{
    return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(text) != std::string::npos; });
}

} // namespace jobsessions::test
