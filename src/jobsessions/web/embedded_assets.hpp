// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <span>
#include <string_view>

namespace jobsessions::web {

/// One file of the web console or the Swagger UI page, built into the binary by web/build.mjs: its bytes as they
/// are and compressed ahead of time, so that serving it costs a lookup and a write.
struct EmbeddedAsset {
    /// Where it is served: "/" (the console page), "/swagger", "/assets/console-3F2A….js".
    std::string_view path;
    std::string_view content_type;
    /// A strong entity tag, quoted, from the content's hash.
    std::string_view etag;
    /// True for a content-hashed name: the bytes at this address never change, so browsers keep them a year.
    /// False for the pages, which keep their address and are revalidated.
    bool immutable;
    std::string_view identity;
    /// Empty when compressing saved too little to be worth it.
    std::string_view gzip;
    std::string_view brotli;
};

/// Every embedded file, sorted by path (generated: web_assets.cpp in the build directory).
std::span<const EmbeddedAsset> embedded_assets() noexcept;

/// The embedded file served at `path`, or null.
const EmbeddedAsset* find_embedded_asset(std::string_view path) noexcept;

/// One form of an embedded file: its bytes and their content coding ("br", "gzip"; empty when as they are).
struct AssetForm {
    std::string_view body;
    std::string_view coding;
};

/// The smallest form of `asset` that a client sending this Accept-Encoding field value takes.
AssetForm preferred_form(const EmbeddedAsset& asset, std::string_view accept_encoding) noexcept;

} // namespace jobsessions::web
