// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace jobsessions::test {
namespace {

TEST(Durability, KillNineLosesNoAcknowledgedWrite)
{
    TempDir dir;
    const std::string data = dir.file("data");
    std::set<std::string> acknowledged;
    std::mutex mutex;
    {
        ServerProcess server(ServerOptions{data, false, {}, {}});
        std::string token;
        {
            HttpClient c(server);
            token = login(c, "admin", kAdminPassword);
        }
        std::atomic<bool> stop{false};
        std::vector<std::thread> writers;
        for (int w = 0; w < 8; ++w) {
            writers.emplace_back([&] {
                HttpClient c(server);
                while (!stop.load()) {
                    try {
                        const auto res =
                            c.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token);
                        if (res.status != 201) {
                            return;
                        }
                        std::lock_guard lock(mutex);
                        acknowledged.insert(str(res.json(), "id"));
                    } catch (const std::exception&) {
                        return; // the server is gone
                    }
                }
            });
        }
        // Let a stream of writes build up, then pull the plug mid-stream.
        while (true) {
            std::lock_guard lock(mutex);
            if (acknowledged.size() >= 300) {
                break;
            }
        }
        server.kill9();
        stop = true;
        for (auto& t : writers) {
            t.join();
        }
    }
    ASSERT_GE(acknowledged.size(), 300U);
    ServerProcess server(ServerOptions{data, false, {}, {}});
    HttpClient client(server);
    const auto token = login(client, "admin", kAdminPassword);
    for (const auto& id : acknowledged) {
        ASSERT_EQ(client.get("/api/v1/jobSessions/" + id, token).status, 200)
            << "acknowledged session " << id << " lost";
    }
}

} // namespace
} // namespace jobsessions::test
