// SPDX-License-Identifier: Apache-2.0
#include "support/postgres_cluster.hpp"

#include "jobsessions/store/postgres/connection.hpp"

#include "support/server_process.hpp"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace jobsessions::test {
namespace {

/// Where the newest installed PostgreSQL keeps its server programs (/usr/lib/postgresql/<major>/bin).
std::string server_bin_directory()
{
    std::string newest;
    int newest_major = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
        const auto name = entry.path().filename().string();
        const int major = std::atoi(name.c_str());
        if (major > newest_major && std::filesystem::exists(entry.path() / "bin" / "initdb")) {
            newest_major = major;
            newest = (entry.path() / "bin").string();
        }
    }
    if (newest.empty()) {
        throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql (./scripts/install-deps installs it)");
    }
    return newest;
}

} // namespace

PostgresCluster::PostgresCluster()
    : bin_(server_bin_directory())
    , as_postgres_(::geteuid() == 0)
{
    char pattern[] = "/tmp/jobsessions-pg-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        throw std::runtime_error("cannot make the cluster's directory");
    }
    directory_ = pattern;
    if (as_postgres_) {
        const passwd* postgres = ::getpwnam("postgres");
        if (postgres == nullptr || ::chown(directory_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
            std::filesystem::remove_all(directory_);
            throw std::runtime_error("cannot give the cluster's directory to the postgres user");
        }
    }
    try {
        run({bin_ + "/initdb", "--pgdata=" + directory_ + "/data", "--username=postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"});
        // Only the socket in the private directory: no TCP port to collide with, nobody else can connect.
        run({bin_ + "/pg_ctl", "--pgdata=" + directory_ + "/data", "--log=" + directory_ + "/server.log", "--wait",
             "--options=-c listen_addresses='' -k " + directory_ + " -c max_connections=200", "start"});
        started_ = true;
    } catch (...) {
        std::filesystem::remove_all(directory_);
        throw;
    }
}

PostgresCluster::~PostgresCluster()
{
    if (started_) {
        try {
            run({bin_ + "/pg_ctl", "--pgdata=" + directory_ + "/data", "--mode=immediate", "--wait", "stop"});
        } catch (const std::exception&) {
            // Removing its directory below still ends a server that cannot be stopped: it exits when its data
            // directory goes.
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

std::string PostgresCluster::conninfo(const std::string& database) const
{
    return "host=" + directory_ + " user=postgres dbname=" + database;
}

std::string PostgresCluster::create_database(const std::string& name)
{
    run({bin_ + "/createdb", "--host=" + directory_, "--username=postgres", name});
    return conninfo(name);
}

std::string PostgresCluster::run(const std::vector<std::string>& argv) const
{
    std::vector<std::string> command;
    if (as_postgres_) {
        command = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    }
    command.insert(command.end(), argv.begin(), argv.end());
    const auto result = run_program(command);
    if (result.exit_code != 0) {
        throw std::runtime_error(argv.front() + " failed: " + result.err + result.out);
    }
    return result.out;
}

std::int64_t end_other_connections(const std::string& conninfo)
{
    auto admin = store::postgres::Connection::open(conninfo);
    if (!admin) {
        throw std::runtime_error("cannot connect to end the other connections: " + admin.error().message);
    }
    const auto others = [&](const char* what) {
        auto rows =
            (*admin)->exec((std::string("SELECT ") + what +
                            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
                               .c_str());
        if (!rows) {
            throw std::runtime_error("cannot end the other connections: " + rows.error().message);
        }
        return rows->int64(0, 0);
    };
    const auto ended = others("count(pg_terminate_backend(pid))");
    while (others("count(*)") > 0) { // gone once the server has let them go
    }
    return ended;
}

} // namespace jobsessions::test
