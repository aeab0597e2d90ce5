// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/web/embedded_assets.hpp"

#include <algorithm>

namespace jobsessions::web {

const EmbeddedAsset* find_embedded_asset(std::string_view path) noexcept
{
    const auto assets = embedded_assets();
    const auto found = std::lower_bound(assets.begin(), assets.end(), path,
                                        [](const EmbeddedAsset& a, std::string_view p) { return a.path < p; });
    return found != assets.end() && found->path == path ? &*found : nullptr;
}

} // namespace jobsessions::web
