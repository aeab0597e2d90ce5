// SPDX-License-Identifier: Apache-2.0
// An export of a million sessions streams in constant memory.
#include "e2e/e2e_fixture.hpp"

#include <unistd.h>

#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>

namespace jobsessions::test {
namespace {

// Peak resident memory of a process in KiB (VmHWM).
long peak_rss_kib(pid_t pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

TEST(BigExport, MillionSessionsExportWithoutTheServerGrowingBy50MB)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // The export's code runs under the sanitizers in the other export tests; here it would take many minutes, and
    // the resident memory it measures would be the sanitizer's shadow memory and quarantine, not the server's.
    GTEST_SKIP() << "the memory bound is checked in the builds without a sanitizer";
#endif
    TempDir dir;
    const auto data = dir.file("data");
    const auto seeded = run_program({JOBSESSIONS_SEED_BINARY, "--data-dir", data, "--sessions", "1000000"});
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;

    ServerProcess server(ServerOptions{data, false, {}, {}});
    HttpClient client(server);
    const auto token = login(client, "admin", kAdminPassword);
    // Warm up: one page and one small export, so the baseline holds the connection's steady buffers.
    ASSERT_EQ(client.get("/api/v1/jobSessions", token).status, 200);
    const auto before = peak_rss_kib(server.pid());
    ASSERT_GT(before, 0);

    // Read the export as it comes and count its lines, keeping nothing.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    const std::string request = "POST /api/v1/jobSessions/export HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                "Authorization: Bearer " +
                                token + "\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    std::int64_t crlf_lines = 0;
    std::int64_t bytes = 0;
    char previous = 0;
    char buf[65536];
    for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        bytes += n;
        for (ssize_t i = 0; i < n; ++i) {
            if (previous == '\r' && buf[i] == '\n') {
                ++crlf_lines;
            }
            previous = buf[i];
        }
    }
    ::close(fd);
    const auto after = peak_rss_kib(server.pid());
    // Head lines and chunk framing add CRLFs too, so there are at least a header row and a million rows.
    EXPECT_GT(crlf_lines, 1'000'001);
    EXPECT_GT(bytes, 100'000'000);
    RecordProperty("peak_rss_before_kib", std::to_string(before));
    RecordProperty("peak_rss_after_kib", std::to_string(after));
    EXPECT_LT(after - before, 50 * 1024) << "peak RSS rose from " << before << " KiB to " << after << " KiB";
}

} // namespace
} // namespace jobsessions::test
