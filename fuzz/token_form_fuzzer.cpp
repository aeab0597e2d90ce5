// SPDX-License-Identifier: Apache-2.0
// The token endpoint's form body: both grants, any casing, any encoding. Logins are not carried through (their
// hashing is a pool's business); the form is read, the grant chosen, a refresh token looked up.
#include "fuzz_app.hpp"

#include <cstddef>
#include <cstdint>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto& app = fuzz::FuzzApp::instance();
    fuzz::OwnedRequest owned;
    owned.method = "POST";
    owned.target = "/api/oauth2/token";
    owned.content_type = "application/x-www-form-urlencoded";
    owned.body.assign(reinterpret_cast<const char*>(data), size);
    app.answer(owned);
    return 0;
}
