// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <iostream>
#include <stdexcept>

namespace jobsessions::app {

/// Runs a subcommand's `body` (returning its exit code), turning what it throws into one line on stderr and an
/// exit code: 2 for a bad command line (std::invalid_argument), 1 for anything else.
template <class Body> int reporting_errors(Body&& body)
{
    try {
        return body();
    } catch (const std::invalid_argument& e) {
        std::cerr << "jobsessiond: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "jobsessiond: " << e.what() << '\n';
        return 1;
    }
}

} // namespace jobsessions::app
