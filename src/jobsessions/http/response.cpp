// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/response.hpp"

// Beast 1.81 streams a status without including <ostream> itself.
#include <boost/beast/http/status.hpp>

#include <ostream>

namespace jobsessions::http {

std::string_view reason_phrase(int status) noexcept
{
    const auto text = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    return {text.data(), text.size()};
}

} // namespace jobsessions::http
