// SPDX-License-Identifier: Apache-2.0
// JSON bodies of sessions (create, change), log entries and policies (define, replace) and an export's filters,
// through the real handlers into the real store. The first byte picks the route.
#include "fuzz_app.hpp"

#include <cstddef>
#include <cstdint>

using namespace jobsessions;

namespace {

struct Target {
    const char* method;
    const char* target;
    bool admin;
};

// No route here starts a run: a policy defined here is never run.
constexpr Target kTargets[] = {
    {"POST", "/api/v1/jobSessions", false},       {"PATCH", "/api/v1/jobSessions/1", false},
    {"POST", "/api/v1/jobSessions/1/log", false}, {"POST", "/api/v1/policies", true},
    {"PUT", "/api/v1/policies/none", true},       {"POST", "/api/v1/jobSessions/export", false},
    {"POST", "/api/v1/jobSessions", true},
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    auto& app = fuzz::FuzzApp::instance();
    const auto& target = kTargets[data[0] % std::size(kTargets)];
    fuzz::OwnedRequest owned;
    owned.method = target.method;
    owned.target = target.target;
    owned.authorization = "Bearer " + (target.admin ? app.admin_token() : app.agent_token());
    owned.content_type = "application/json";
    owned.accept = data[0] & 0x80 ? "application/json" : "";
    owned.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    app.answer(owned);
    return 0;
}
