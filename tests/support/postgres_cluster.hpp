// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/temp_dir.hpp"

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

} // namespace jobsessions::test
