// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/openapi.json: the document of docs/openapi.json, for anyone. That it describes every answer is
// checked by OpenApi.EveryAnswerMatchesTheDocument (tests/CMakeLists.txt) once the end-to-end tests have run.
#include "e2e/e2e_fixture.hpp"

#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

namespace jobsessions::test {
namespace {

using OpenApi = ServerTest;

TEST_F(OpenApi, TheDocumentIsServedToAnyone)
{
    const auto res = client_->get("/api/v1/openapi.json");
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(res.header("Cache-Control"), "no-cache");
    std::ifstream file(JOBSESSIONS_OPENAPI_DOCUMENT);
    std::stringstream source;
    source << file.rdbuf();
    const auto json = res.json();
    EXPECT_EQ(json, boost::json::parse(source.str())); // the repository's document, as built in
    const auto& document = json.as_object();
    EXPECT_EQ(document.at("openapi").as_string(), "3.1.0");
    const auto& flow = document.at("components").at("securitySchemes").at("password").at("flows").at("password");
    EXPECT_EQ(flow.at("tokenUrl").as_string(), "/api/oauth2/token");
    // Also without regard to case, as every route, and with HEAD.
    EXPECT_EQ(client_->get("/API/V1/OpenApi.json").status, 200);
    const auto head = client_->request("HEAD", "/api/v1/openapi.json");
    EXPECT_EQ(head.header("Content-Length"), std::to_string(res.body.size()));
    // A method it does not have is the API's 405.
    const auto post = client_->request("POST", "/api/v1/openapi.json", "", {{"Content-Type", "application/json"}});
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("Allow"), "GET, HEAD");
}

} // namespace
} // namespace jobsessions::test
