// SPDX-License-Identifier: Apache-2.0
// A plain model of what a list holds, for the store contract suites: which sessions a filter selects, in list
// order, computed without any index or kept count.
#pragma once

#include "jobsessions/store/session_store.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <vector>

namespace jobsessions::store {

inline bool contains_folded(std::string_view haystack, std::string_view needle)
{
    if (needle.size() > haystack.size()) {
        return false;
    }
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        if (util::iequals(haystack.substr(i, needle.size()), needle)) {
            return true;
        }
    }
    return false;
}

/// What a filter selects, said plainly.
inline bool matches(const SessionFilter& f, const domain::JobSession& s)
{
    if (!f.types.empty() && std::find(f.types.begin(), f.types.end(), s.type) == f.types.end()) {
        return false;
    }
    if (!f.statuses.empty() && std::find(f.statuses.begin(), f.statuses.end(), s.status) == f.statuses.end()) {
        return false;
    }
    if (f.policy_id && (!s.backup_info || s.backup_info->policy_id != *f.policy_id)) {
        return false;
    }
    if ((f.from && s.start_time < *f.from) || (f.to && s.start_time >= *f.to)) {
        return false;
    }
    if (f.text && !(contains_folded(domain::localized_name(s.type), *f.text) ||
                    (s.backup_info && contains_folded(s.backup_info->policy_name, *f.text)))) {
        return false;
    }
    if (f.usn_after && s.usn <= *f.usn_after) {
        return false;
    }
    return !f.created_by || s.created_by == *f.created_by;
}

/// The sessions of `model` that `f` selects, in list order: newest start first, then highest id.
inline std::vector<domain::JobSession> listed_by_model(const std::vector<domain::JobSession>& model,
                                                       const SessionFilter& f)
{
    std::vector<domain::JobSession> out;
    std::copy_if(model.begin(), model.end(), std::back_inserter(out),
                 [&](const domain::JobSession& s) { return matches(f, s); });
    std::sort(out.begin(), out.end(), [](const domain::JobSession& a, const domain::JobSession& b) {
        return a.start_time != b.start_time ? a.start_time > b.start_time : a.id > b.id;
    });
    return out;
}

} // namespace jobsessions::store
