// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sys/stat.h>
#include <thread>

namespace jobsessions::test {
namespace {

TEST(ServerCommandLine, HelpAndVersion)
{
    const auto help = run_jobsessiond({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--listen HOST:PORT"), std::string::npos);
    const auto version = run_jobsessiond({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out, "jobsessiond 0.1.0\n");
}

TEST(ServerCommandLine, BadFlagIsOneLineAndANonZeroExit)
{
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--frobnicate"},
                                                 {"--threads", "zero"},
                                                 {"--listen"},
                                                 {"--tls-cert", "only-cert.pem"},
                                                 {"--public-url", "ftp://x"},
                                                 {"--bogus"},
                                                 {"--http", "--tls-cert", "c.pem", "--tls-key", "k.pem"}}) {
        const auto result = run_jobsessiond(args);
        EXPECT_NE(result.exit_code, 0) << args[0];
        EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
        EXPECT_EQ(result.err.rfind("jobsessiond: ", 0), 0U) << result.err;
    }
}

TEST(ServerCommandLine, AnUnknownFlagIsNamedAndTlsFilesWithHttpAreRefused)
{
    EXPECT_EQ(run_jobsessiond({"--bogus"}).err, "jobsessiond: unknown option --bogus (see --help)\n");
    EXPECT_EQ(run_jobsessiond({"--bogus=1"}).err, "jobsessiond: unknown option --bogus (see --help)\n");
    EXPECT_EQ(run_jobsessiond({"--http", "--tls-cert", "c.pem", "--tls-key", "k.pem"}).err,
              "jobsessiond: --http serves no TLS: leave out --tls-cert and --tls-key, or --http\n");
}

TEST(ServerStart, PortInUseIsOneClearLine)
{
    TempDir dir;
    ServerProcess first(ServerOptions{dir.file("a"), false, {}, {}});
    const auto second = run_jobsessiond(
        {"--http", "--listen", "127.0.0.1:" + std::to_string(first.port()), "--data-dir", dir.file("b")}, "",
        {{"JOBSESSIOND_ADMIN_PASSWORD", kAdminPassword}});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(
        second.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use"),
        std::string::npos)
        << second.err;
}

TEST(ServerStart, UnusableDataDirIsOneClearLine)
{
    TempDir dir;
    const std::string file = dir.file("not-a-dir");
    {
        std::ofstream out(file);
        out << "x";
    }
    const auto result = run_jobsessiond({"--http", "--listen", "127.0.0.1:0", "--data-dir", file});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("is not a directory"), std::string::npos) << result.err;
}

TEST(ServerStart, TwoServersCannotShareADataDir)
{
    TempDir dir;
    ServerProcess first(ServerOptions{dir.file("data"), false, {}, {}});
    const auto second = run_jobsessiond({"--http", "--listen", "127.0.0.1:0", "--data-dir", dir.file("data")});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("another jobsessiond"), std::string::npos) << second.err;
}

TEST(ServerStart, SettingsComeFromTheEnvironmentToo)
{
    TempDir dir;
    ServerProcess server(ServerOptions{dir.file("unused"), false, {}, {{"JOBSESSIOND_DATA_DIR", dir.file("env")}}});
    // The flag wins over the variable, as documented.
    struct stat st {};
    EXPECT_EQ(::stat(dir.file("unused").c_str(), &st), 0);
    const auto via_env = run_jobsessiond({}, "",
                                         {{"JOBSESSIOND_LISTEN", "127.0.0.1:" + std::to_string(server.port())},
                                          {"JOBSESSIOND_HTTP", "1"},
                                          {"JOBSESSIOND_DATA_DIR", dir.file("env")}});
    EXPECT_EQ(via_env.exit_code, 1);
    EXPECT_NE(via_env.err.find("cannot listen on 127.0.0.1:" + std::to_string(server.port())), std::string::npos)
        << via_env.err;
}

TEST(ServerStart, GeneratedAdminPasswordIsPrintedOnce)
{
    TempDir dir;
    const std::string data = dir.file("data");
    std::string password;
    {
        // Before the first start there is no store to list users from, and asking does not make one.
        const auto first = run_jobsessiond({"user", "list", "--data-dir", data});
        EXPECT_EQ(first.exit_code, 1);
        struct stat st {};
        EXPECT_NE(::stat(data.c_str(), &st), 0);
    }
    // Start without JOBSESSIOND_ADMIN_PASSWORD: the server makes one up and says it on stderr.
    ServerOptions options{data, false, {}, {{"JOBSESSIOND_ADMIN_PASSWORD", ""}}};
    {
        ServerProcess server(options);
        const auto err = server.stderr_text();
        const std::string marker = "with password: ";
        const auto at = err.find(marker);
        ASSERT_NE(at, std::string::npos) << err;
        password = err.substr(at + marker.size(), err.find('\n', at) - at - marker.size());
        HttpClient client(server);
        EXPECT_FALSE(login(client, "admin", password).empty());
        EXPECT_EQ(server.terminate(), 0);
    }
    ServerProcess again(options);
    EXPECT_EQ(again.stderr_text().find("with password"), std::string::npos);
}

TEST(ServerStop, SigtermExitsZeroAndRestartKeepsEverything)
{
    TempDir dir;
    std::string id;
    std::string body;
    {
        ServerProcess server(ServerOptions{dir.file("data"), true, {}, {}});
        HttpClient client(server);
        const auto token = login(client, "admin", kAdminPassword);
        const auto created =
            client.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup","status":"Success"})", token);
        ASSERT_EQ(created.status, 201);
        id = str(created.json(), "id");
        body = created.body;
        ASSERT_EQ(
            client
                .send_json("POST", "/api/v1/jobSessions/" + id + "/log", R"({"status":"Success","message":"m"})", token)
                .status,
            409);
        EXPECT_EQ(server.terminate(), 0);
        EXPECT_NE(server.stderr_text().find("shutting down"), std::string::npos);
    }
    ServerProcess server(ServerOptions{dir.file("data"), true, {}, {}});
    HttpClient client(server);
    const auto token = login(client, "admin", kAdminPassword);
    const auto read = client.get("/api/v1/jobSessions/" + id, token);
    ASSERT_EQ(read.status, 200);
    // Same session, links now on the new port.
    auto expected = body;
    EXPECT_EQ(read.json().at("usn"), boost::json::parse(expected).at("usn"));
    EXPECT_EQ(read.json().at("executionStopTime"), boost::json::parse(expected).at("executionStopTime"));
}

// An operator's `top -H` or `ps -L` shows what each thread of the server is for.
TEST(ServerThreads, AreNamedForWhatTheyDo)
{
    TempDir dir;
    ServerProcess server(ServerOptions{dir.file("data"), true, {}, {}});
    HttpClient client(server);
    const auto token = login(client, "admin", kAdminPassword); // on the password hashing pool
    ASSERT_EQ(
        client.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup","status":"Success"})", token).status,
        201); // on the blocking pool, through the writer

    std::set<std::string> names;
    const auto tasks = "/proc/" + std::to_string(server.pid()) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        names.insert(name);
    }
    for (const char* expected : {"http-io", "http-blocking", "password-hash", "sqlite-writer", "sqlite-checkpt"}) {
        EXPECT_TRUE(names.contains(expected)) << expected;
    }
}

TEST(ServerStop, SigtermLetsARequestInFlightFinish)
{
    TempDir dir;
    ServerProcess server(ServerOptions{dir.file("data"), false, {}, {}});
    namespace asio = boost::asio;
    asio::io_context ctx;
    asio::ip::tcp::socket socket(ctx);
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port())});
    // First a request whose answer proves the server has taken the connection.
    asio::write(socket, asio::buffer(std::string("GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string first;
    char byte = 0;
    while (first.find("}") == std::string::npos) {
        asio::read(socket, asio::buffer(&byte, 1));
        first.push_back(byte);
    }
    // A login spends a while in Argon2id; SIGTERM arrives once the request has been sent, and the answer still
    // comes, with the connection closed after it.
    const std::string form = std::string("username=admin&password=") + kAdminPassword;
    asio::write(socket, asio::buffer("POST /api/oauth2/token HTTP/1.1\r\nHost: x\r\n"
                                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                     std::to_string(form.size()) + "\r\n\r\n" + form));
    ::kill(server.pid(), SIGTERM);
    std::string received;
    boost::system::error_code ec;
    char buf[4096];
    while (!ec) {
        received.append(buf, socket.read_some(asio::buffer(buf), ec));
    }
    EXPECT_EQ(received.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << received;
    EXPECT_NE(received.find("Connection: close"), std::string::npos);
    EXPECT_EQ(server.terminate(), 0);
}

TEST(ServerTls, HttpsIsVerifiedAgainstThePrintedFingerprintAndOldTlsIsRefused)
{
    TempDir dir;
    ServerProcess server(ServerOptions{dir.file("data"), true, {}, {}});
    HttpClient client(server);
    EXPECT_EQ(client.get("/api/v1/system/about").status, 200);

    // The fingerprint the server printed is the certificate's.
    const auto err = server.stderr_text();
    const auto at = err.find("fingerprint ");
    ASSERT_NE(at, std::string::npos);
    const auto printed = err.substr(at + 12, 95);
    EXPECT_TRUE(std::regex_match(printed, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}"))) << printed;

    namespace asio = boost::asio;
    asio::io_context ctx;
    asio::ssl::context old(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
    SSL_CTX_set_security_level(old.native_handle(), 0);
    asio::ssl::stream<asio::ip::tcp::socket> stream(ctx, old);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port())});
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    EXPECT_TRUE(ec) << "a TLS 1.1 handshake succeeded";
}

TEST(ServerTls, PlainHttpToTheHttpsPortGetsNoAnswer)
{
    TempDir dir;
    ServerProcess server(ServerOptions{dir.file("data"), true, {}, {}});
    ServerProcess plain_twin(ServerOptions{dir.file("other"), false, {}, {}});
    (void)plain_twin;
    namespace asio = boost::asio;
    asio::io_context ctx;
    asio::ip::tcp::socket socket(ctx);
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port())});
    asio::write(socket, asio::buffer(std::string("GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n")));
    char buf[64];
    boost::system::error_code ec;
    const auto n = socket.read_some(asio::buffer(buf), ec);
    EXPECT_EQ(std::string(buf, n).find("HTTP/1.1 200"), std::string::npos);
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

TEST(ServerTls, GivenCertificateAndKeyAreUsed)
{
    TempDir dir;
    std::string cert;
    std::string key;
    {
        // Let one server make a certificate, then hand its files to another.
        ServerProcess maker(ServerOptions{dir.file("maker"), true, {}, {}});
        cert = maker.certificate_path();
        key = dir.file("maker") + "/tls/key.pem";
    }
    ServerProcess server(ServerOptions{dir.file("data"), true, {"--tls-cert", cert, "--tls-key", key}, {}, cert});
    EXPECT_EQ(server.stderr_text().find("generated a self-signed certificate"), std::string::npos);
    HttpClient client(server); // verifies the peer against `cert`
    EXPECT_EQ(client.get("/api/v1/system/about").status, 200);
    const auto missing = run_jobsessiond(
        {"--listen", "127.0.0.1:0", "--data-dir", dir.file("x"), "--tls-cert", dir.file("none.pem"), "--tls-key", key});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("cannot use the certificate"), std::string::npos) << missing.err;
}

} // namespace
} // namespace jobsessions::test
