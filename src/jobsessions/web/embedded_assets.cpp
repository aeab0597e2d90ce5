// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/web/embedded_assets.hpp"

#include "jobsessions/http/negotiation.hpp"

#include <algorithm>

namespace jobsessions::web {

const EmbeddedAsset* find_embedded_asset(std::string_view path) noexcept
{
    const auto assets = embedded_assets();
    const auto found = std::lower_bound(assets.begin(), assets.end(), path,
                                        [](const EmbeddedAsset& a, std::string_view p) { return a.path < p; });
    return found != assets.end() && found->path == path ? &*found : nullptr;
}

AssetForm preferred_form(const EmbeddedAsset& asset, std::string_view accept_encoding) noexcept
{
    if (!asset.brotli.empty() && http::accepts_coding(accept_encoding, "br")) {
        return {asset.brotli, "br"};
    }
    if (!asset.gzip.empty() && http::accepts_coding(accept_encoding, "gzip")) {
        return {asset.gzip, "gzip"};
    }
    return {asset.identity, {}};
}

} // namespace jobsessions::web
