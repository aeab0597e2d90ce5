// SPDX-License-Identifier: Apache-2.0
// Bearer tokens and Authorization fields: the token codec alone, and a request carrying the field.
#include "jobsessions/auth/token_codec.hpp"

#include "fuzz_app.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto& app = fuzz::FuzzApp::instance();
    const std::string text = app.with_tokens(std::string_view(reinterpret_cast<const char*>(data), size));
    static const auth::TokenCodec codec(std::string(32, 'k'));
    if (const auto claims = codec.verify(text)) {
        // Only the codec's own signature verifies: anything it accepts it could have signed.
        if (codec.verify(codec.sign(*claims))->user_id != claims->user_id) {
            std::abort();
        }
    }
    fuzz::OwnedRequest owned;
    owned.target = "/api/v1/jobSessions/1";
    owned.authorization = text;
    app.answer(owned);
    return 0;
}
