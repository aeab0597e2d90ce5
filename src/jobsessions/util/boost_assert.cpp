// SPDX-License-Identifier: Apache-2.0
// Where Boost's assertions go in the fuzz build (BOOST_ENABLE_ASSERT_HANDLER): every failed one aborts, as
// <cassert> would, but for one Beast 1.81 asserts wrongly.
#ifdef BOOST_ENABLE_ASSERT_HANDLER

#include <boost/assert.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line)
{
    // Beast 1.81's chunk-header parser asserts n >= 5 when a final chunk "0\r\n" arrives a byte at a time; the
    // code after it handles n == 4 correctly (Beast pull request 2861 corrected the assertion in 2024).
    if (std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "beast/http/impl/basic_parser.ipp") != nullptr) {
        return;
    }
    std::fprintf(stderr, "%s:%ld: %s: Assertion '%s' failed%s%s\n", file, line, function, expr, msg ? ": " : "",
                 msg ? msg : "");
    std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line)
{
    assertion_failed_msg(expr, nullptr, function, file, line);
}

} // namespace boost

#endif
