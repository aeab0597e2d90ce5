// SPDX-License-Identifier: Apache-2.0
// JSON bodies of webhooks (define, replace) through the real handlers into the real store, as an Administrator.
// The first byte picks the route: a new webhook, the one that exists, or one that does not.
#include "fuzz_app.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    auto& app = fuzz::FuzzApp::instance();
    fuzz::OwnedRequest owned;
    switch (data[0] % 3) {
    case 0:
        owned.method = "POST";
        owned.target = "/api/v1/webhooks";
        break;
    case 1:
        owned.method = "PUT";
        owned.target = "/api/v1/webhooks/" + app.webhook_id();
        break;
    default:
        owned.method = "PUT";
        owned.target = "/api/v1/webhooks/00000000-0000-4000-8000-000000000000";
        break;
    }
    owned.authorization = "Bearer " + app.admin_token();
    owned.content_type = "application/json";
    owned.accept = data[0] & 0x80 ? "application/json" : "";
    owned.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    app.answer(owned);
    return 0;
}
