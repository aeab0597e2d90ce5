// SPDX-License-Identifier: Apache-2.0
// The fixture of the store contract suites: every backend is a parameter; there is never a copy of a test per
// backend. A suite instantiates itself with contract_backends().
#pragma once

#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/store.hpp"

#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

namespace jobsessions::store {

struct Backend {
    std::string name;
    std::function<std::unique_ptr<Store>(const test::TempDir&)> open;
};

inline void PrintTo(const Backend& backend, std::ostream* os)
{
    *os << backend.name;
}

inline std::unique_ptr<Store> open_sqlite(const test::TempDir& dir)
{
    auto opened = open_sqlite_store({dir.file("jobsessions.db")});
    if (!opened) {
        throw std::runtime_error(opened.error().message);
    }
    return std::move(*opened);
}

/// The PostgreSQL cluster of this test process, started on first use and stopped when the process exits.
inline test::PostgresCluster& contract_cluster()
{
    static test::PostgresCluster cluster;
    return cluster;
}

/// A database of its own for each test (the test's directory names it), opened again by the same test as it was.
inline std::unique_ptr<Store> open_postgres(const test::TempDir& dir)
{
    static std::map<std::string, std::string> databases;
    auto& conninfo = databases[dir.path()];
    if (conninfo.empty()) {
        conninfo = contract_cluster().create_database("contract_" + std::to_string(databases.size()));
    }
    auto opened = postgres::PgStore::open(conninfo, 8);
    if (!opened) {
        throw std::runtime_error(opened.error().message);
    }
    return std::move(*opened);
}

/// Every backend the contract runs on.
inline auto contract_backends()
{
    return ::testing::Values(Backend{"sqlite", &open_sqlite}, Backend{"postgresql", &open_postgres});
}

/// Names each instance after its backend.
inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info)
{
    return info.param.name;
}

class StoreContractTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override { store_ = GetParam().open(dir_); }

    static NewSession running(domain::SessionType type = domain::SessionType::PolicyBackup)
    {
        NewSession s;
        s.type = type;
        s.status = domain::SessionStatus::Running;
        s.start_time = 1'580'900'830'002'679;
        s.created_by = 1;
        return s;
    }

    test::TempDir dir_;
    std::unique_ptr<Store> store_;
};

} // namespace jobsessions::store
