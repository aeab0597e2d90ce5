// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace jobsessions::test {

/// A throwaway PostgreSQL cluster for tests, from Debian's packages: initdb into a temporary directory, the server
/// listening only on a Unix socket in that directory (no TCP port at all), stopped and removed when this goes
/// away. initdb and the server refuse to run as root, so as root both run as the packages' `postgres` user, which
/// alone can enter the directory.
class PostgresCluster {
public:
    /// Starts a cluster; throws with what initdb or the server said when it cannot.
    PostgresCluster();
    ~PostgresCluster();
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    /// The libpq connection string of a database of this cluster.
    [[nodiscard]] std::string conninfo(const std::string& database = "postgres") const;
    /// Creates an empty database and returns its connection string.
    std::string create_database(const std::string& name);
    /// The directory holding the server's socket.
    [[nodiscard]] const std::string& socket_directory() const noexcept { return directory_; }

private:
    /// Runs one of PostgreSQL's programs (as `postgres` when this process is root); throws when it fails.
    std::string run(const std::vector<std::string>& argv) const;

    std::string bin_;
    std::string directory_;
    bool as_postgres_ = false;
    bool started_ = false;
};

/// Ends every connection to the database of `conninfo` but the one it makes itself (pg_terminate_backend), as an
/// administrator or a restarted database would, and returns once the server has let them go: how many it ended.
std::int64_t end_other_connections(const std::string& conninfo);

/// A test suite on one throwaway cluster, started for the suite, each test with a database of its own.
class PostgresDatabaseTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { suite_cluster = std::make_unique<PostgresCluster>(); }
    static void TearDownTestSuite() { suite_cluster.reset(); }
    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        conninfo_ = suite_cluster->create_database(std::string("t_") + info->name());
    }
    static PostgresCluster& cluster() { return *suite_cluster; }

    /// The connection string of this test's database.
    std::string conninfo_;

private:
    static inline std::unique_ptr<PostgresCluster> suite_cluster;
};

} // namespace jobsessions::test
