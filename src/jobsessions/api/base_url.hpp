// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace jobsessions::api {

/// The start of every absolute link: scheme and authority, appended without building a string first.
struct BaseUrl {
    /// "https://", or empty when `authority` holds a whole configured public URL.
    std::string_view scheme;
    std::string_view authority;

    /// Appends scheme and authority to `out`.
    void append_to(std::string& out) const
    {
        out.append(scheme);
        out.append(authority);
    }
    /// The base as one string.
    [[nodiscard]] std::string str() const
    {
        std::string s;
        append_to(s);
        return s;
    }
};

} // namespace jobsessions::api
