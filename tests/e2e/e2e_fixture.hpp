// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace jobsessions::test {

/// Starts a real jobsessiond (plain HTTP unless asked) on a free port with a fresh data directory.
class ServerTest : public ::testing::Test {
protected:
    void SetUp() override { start(); }

    void start(bool tls = false, std::vector<std::string> extra_args = {},
               std::vector<std::pair<std::string, std::string>> env = {})
    {
        client_.reset();
        server_.reset();
        server_ =
            std::make_unique<ServerProcess>(ServerOptions{data_dir(), tls, std::move(extra_args), std::move(env)});
        client_ = std::make_unique<HttpClient>(*server_);
        feed_usn_ = 0;
    }

    [[nodiscard]] std::string data_dir() const { return dir_.file("data"); }

    /// An Administrator token, made on first use.
    const std::string& admin_token()
    {
        if (admin_token_.empty()) {
            admin_token_ = login(*client_, "admin", kAdminPassword);
        }
        return admin_token_;
    }

    /// Adds user `name` with `role` (password: the name and "-password") and returns a token of theirs.
    std::string login_new_user(const std::string& name, const std::string& role)
    {
        add_user(data_dir(), name, role, name + "-password");
        return login(*client_, name, name + "-password");
    }

    /// Creates a session as admin; returns its JSON.
    boost::json::object create(const std::string& body)
    {
        const auto res = client_->send_json("POST", "/api/v1/jobSessions", body, admin_token());
        EXPECT_EQ(res.status, 201) << res.body;
        return res.json().as_object();
    }

    /// Returns after the next change to any session that this test has not seen yet: the change feed's long poll,
    /// woken by the write itself (the first call returns at once with everything so far). For waiting on the
    /// server without sleeping: check, wait for a change, check again.
    void wait_for_change()
    {
        const auto res = client_->get("/api/v1/jobSessions/changes?limit=1000&wait=30&usn=" + std::to_string(feed_usn_),
                                      admin_token());
        ASSERT_EQ(res.status, 200) << res.body;
        feed_usn_ = res.json().at("usn").as_int64();
    }

    TempDir dir_;
    std::int64_t feed_usn_ = 0;
    std::unique_ptr<ServerProcess> server_;
    std::unique_ptr<HttpClient> client_;
    std::string admin_token_;
};

/// The string value of a JSON member.
inline std::string str(const boost::json::value& v, const char* name)
{
    return std::string(v.at(name).as_string());
}

} // namespace jobsessions::test
