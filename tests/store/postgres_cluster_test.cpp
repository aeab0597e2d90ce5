// SPDX-License-Identifier: Apache-2.0
// The throwaway PostgreSQL cluster the PostgreSQL store's tests run on: it starts, takes libpq connections on its
// private socket only, and is gone when the test ends.
#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <libpq-fe.h>
#include <memory>
#include <string>

namespace jobsessions::test {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

std::string single_value(PGconn* db, const char* sql)
{
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(db, sql), &PQclear);
    EXPECT_EQ(PQresultStatus(result.get()), PGRES_TUPLES_OK) << PQerrorMessage(db);
    return PQntuples(result.get()) == 1 ? PQgetvalue(result.get(), 0, 0) : "";
}

TEST(PostgresCluster, StartsOnAPrivateSocketAndIsGoneAfterwards)
{
    std::string directory;
    {
        PostgresCluster cluster;
        directory = cluster.socket_directory();
        const auto conninfo = cluster.create_database("contract");
        Connection db(PQconnectdb(conninfo.c_str()), &PQfinish);
        ASSERT_EQ(PQstatus(db.get()), CONNECTION_OK) << PQerrorMessage(db.get());
        EXPECT_EQ(single_value(db.get(), "SELECT current_database()"), "contract");
        EXPECT_EQ(single_value(db.get(), "SHOW server_encoding"), "UTF8");
        // No TCP: the server listens on its socket alone.
        EXPECT_EQ(single_value(db.get(), "SHOW listen_addresses"), "");
        EXPECT_GE(std::stoi(single_value(db.get(), "SHOW server_version_num")), 150000);
    }
    EXPECT_FALSE(std::filesystem::exists(directory));
}

} // namespace
} // namespace jobsessions::test
