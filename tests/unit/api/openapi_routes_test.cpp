// SPDX-License-Identifier: Apache-2.0
// The OpenAPI document built into the server (docs/openapi.json) names exactly the routes of the routing table.
#include "jobsessions/api/router.hpp"
#include "jobsessions/web/embedded_assets.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace jobsessions::test {
namespace {

std::set<std::string> documented_operations()
{
    const auto* asset = web::find_embedded_asset("/api/v1/openapi.json");
    if (asset == nullptr) {
        ADD_FAILURE() << "the document is not built in";
        return {};
    }
    const auto document = boost::json::parse(asset->identity).as_object();
    std::set<std::string> operations;
    for (const auto& [path, item] : document.at("paths").as_object()) {
        for (const auto& [method, operation] : item.as_object()) {
            std::string verb(method);
            std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
            operations.insert(verb + " " + std::string(path));
        }
    }
    return operations;
}

TEST(OpenApiDocument, DescribesEveryRouteAndNoOther)
{
    std::set<std::string> routes;
    for (const auto& route : api::routes()) {
        routes.insert(std::string(boost::beast::http::to_string(route.method)) + " " + std::string(route.path));
    }
    EXPECT_EQ(documented_operations(), routes);
}

} // namespace
} // namespace jobsessions::test
