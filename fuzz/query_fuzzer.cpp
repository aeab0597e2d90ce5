// SPDX-License-Identifier: Apache-2.0
// Query strings of lists, the change feed, logs and exports, through the real handlers. The first byte picks
// the path; the rest is the query.
#include "fuzz_app.hpp"

#include <cstddef>
#include <cstdint>

using namespace jobsessions;

namespace {

struct Target {
    const char* method;
    const char* path;
};

constexpr Target kTargets[] = {
    {"GET", "/api/v1/jobSessions"},       {"GET", "/api/v1/jobSessions/changes"},
    {"GET", "/api/v1/jobSessions/1/log"}, {"POST", "/api/v1/jobSessions/export"},
    {"HEAD", "/api/v1/jobSessions"},      {"GET", "/api/v1/policies"},
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
    owned.target = std::string(target.path) + "?" + std::string(reinterpret_cast<const char*>(data + 1), size - 1);
    // The changes feed's long poll would wait; its answer is built and dropped unwaited.
    owned.authorization = "Bearer " + (data[0] & 0x80 ? app.admin_token() : app.agent_token());
    owned.accept = data[0] & 0x40 ? "text/event-stream" : "";
    app.answer(owned);
    return 0;
}
