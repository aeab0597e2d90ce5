// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/router.hpp"

#include "jobsessions/api/api_error.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

namespace jobsessions::api {
namespace {

namespace urls = boost::urls;

[[noreturn]] void reply_not_found(Context& ctx)
{
    throw ApiError::not_found("No resource matches '" + std::string(ctx.path()) + "'.");
}

[[noreturn]] void reply_bad_target(Context&)
{
    throw ApiError::bad_request("path", "The request target is not a valid origin-form URI.");
}

[[noreturn]] void reply_method_not_allowed(Context& ctx);

// ASCII folding, not std::tolower: paths are ASCII here, and the C locale call costs on every request.
char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Whether a segment of a valid path (still percent-encoded) decodes to `literal`, without regard to ASCII case.
bool segment_iequals(std::string_view encoded, std::string_view literal)
{
    if (encoded.find('%') == std::string_view::npos) {
        return encoded.size() == literal.size() && std::equal(encoded.begin(), encoded.end(), literal.begin(),
                                                              [](char a, char b) { return fold(a) == fold(b); });
    }
    const auto segment = urls::make_pct_string_view(encoded);
    if (!segment || segment->decoded_size() != literal.size()) {
        return false;
    }
    std::size_t i = 0;
    for (const char c : **segment) {
        if (fold(c) != fold(literal[i++])) {
            return false;
        }
    }
    return true;
}

// What a request target may hold as it is, with no escape: RFC 3986's unreserved characters and sub-delims, ':',
// '@', '/' and '?'.
constexpr std::array<bool, 256> kPlainTargetChars = [] {
    std::array<bool, 256> plain{};
    for (const char c :
         std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?")) {
        plain[static_cast<unsigned char>(c)] = true;
    }
    return plain;
}();

// The path of a valid origin-form target, still percent-encoded. A target of plain characters alone (most are)
// is one as it is, its path ending at the first '?', and needs no parse; any other goes through Boost.URL.
std::optional<std::string_view> path_of(std::string_view target)
{
    if (target.starts_with('/') && std::all_of(target.begin(), target.end(), [](char c) {
            return kPlainTargetChars[static_cast<unsigned char>(c)];
        })) {
        return target.substr(0, target.find('?'));
    }
    const auto parsed = urls::parse_origin_form(target);
    if (!parsed) {
        return std::nullopt;
    }
    return std::string_view(parsed->encoded_path());
}

} // namespace

Router::Router(std::span<const Route> table)
    : not_found_{boost::beast::http::verb::unknown,
                 "",
                 &reply_not_found,
                 std::nullopt,
                 Execution::Inline,
                 BodyKind::None}
    , bad_target_{
          boost::beast::http::verb::unknown, "", &reply_bad_target, std::nullopt, Execution::Inline, BodyKind::None}
{
    for (const auto& route : table) {
        Template* found = nullptr;
        for (auto& t : templates_) {
            if (t.routes.front()->path == route.path) {
                found = &t;
            }
        }
        if (found == nullptr) {
            Template t;
            std::string_view rest = route.path.substr(1);
            while (true) {
                const auto slash = rest.find('/');
                const auto text = rest.substr(0, slash);
                const bool parameter = text.size() > 2 && text.front() == '{' && text.back() == '}';
                std::string folded(text);
                std::transform(folded.begin(), folded.end(), folded.begin(), fold);
                t.segments.push_back({std::string(text), std::move(folded), parameter});
                if (slash == std::string_view::npos) {
                    break;
                }
                rest.remove_prefix(slash + 1);
            }
            templates_.push_back(std::move(t));
            found = &templates_.back();
        }
        found->routes.push_back(&route);
    }
    for (auto& t : templates_) {
        std::string allow;
        for (const Route* r : t.routes) {
            if (!allow.empty()) {
                allow += ", ";
            }
            const auto name = boost::beast::http::to_string(r->method);
            allow.append(name.data(), name.size());
            if (r->method == boost::beast::http::verb::get) {
                allow += ", HEAD";
            }
        }
        t.method_not_allowed = std::make_unique<Route>(Route{boost::beast::http::verb::unknown, t.routes.front()->path,
                                                             &reply_method_not_allowed, std::nullopt, Execution::Inline,
                                                             BodyKind::None, nullptr, allow});
    }
    for (const auto& t : templates_) {
        if (t.segments.size() < by_segment_count_.size()) {
            by_segment_count_[t.segments.size()].push_back(&t);
        }
    }
}

const Route& Router::match(boost::beast::http::verb method, std::string_view target, std::string& parameter) const
{
    const auto valid_path = path_of(target);
    if (!valid_path) {
        return bad_target_;
    }
    // The path's segments, still percent-encoded: a valid path splits on every '/'.
    std::array<std::string_view, kMaxSegments> segments;
    std::size_t count = 0;
    std::string_view path = *valid_path;
    if (path.starts_with('/')) {
        path.remove_prefix(1);
    }
    for (;;) {
        if (count == kMaxSegments) {
            return not_found_;
        }
        const auto slash = path.find('/');
        segments[count++] = path.substr(0, slash);
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    // "/api/v1/jobSessions/39/" names the same resource as without the slash, as ASP.NET Core routing has it.
    if (count > 0 && segments[count - 1].empty()) {
        --count;
    }
    // A short path without escapes is folded to lower case once, and each template's literals compared with it as
    // they are; any other path compares segment by segment, decoding.
    std::array<char, 128> folded_path; // NOLINT(cppcoreguidelines-pro-type-member-init): written before it is read
    std::array<std::string_view, kMaxSegments> folded;
    const bool fold_once = valid_path->size() <= folded_path.size() && valid_path->find('%') == std::string_view::npos;
    if (fold_once) {
        std::transform(valid_path->begin(), valid_path->end(), folded_path.begin(), fold);
        for (std::size_t i = 0; i < count; ++i) {
            const auto at = static_cast<std::size_t>(segments[i].data() - valid_path->data());
            folded[i] = std::string_view(folded_path.data() + at, segments[i].size());
        }
    }
    for (const Template* const candidate : by_segment_count_[count]) {
        const Template& t = *candidate;
        bool matches = true;
        for (std::size_t i = 0; i < count && matches; ++i) {
            const auto& segment = t.segments[i];
            if (segment.parameter) {
                matches = !segments[i].empty();
            } else {
                matches = fold_once ? folded[i] == segment.folded : segment_iequals(segments[i], segment.text);
            }
        }
        if (!matches) {
            continue;
        }
        parameter.clear();
        for (std::size_t i = 0; i < count; ++i) {
            if (t.segments[i].parameter) {
                if (fold_once) {
                    parameter.assign(segments[i]); // no escape to decode
                    continue;
                }
                const auto encoded = urls::make_pct_string_view(segments[i]);
                if (encoded) {
                    for (const char c : **encoded) {
                        parameter.push_back(c);
                    }
                }
            }
        }
        for (const Route* route : t.routes) {
            if (route->method == method) {
                return *route;
            }
        }
        // HEAD is GET without the body (RFC 9110, 9.3.2): the server sends the head alone.
        if (method == boost::beast::http::verb::head) {
            for (const Route* route : t.routes) {
                if (route->method == boost::beast::http::verb::get) {
                    return *route;
                }
            }
        }
        return *t.method_not_allowed;
    }
    return not_found_;
}

namespace {

void reply_method_not_allowed(Context& ctx)
{
    const auto* route = static_cast<const Route*>(ctx.request.route);
    ApiError error = ApiError::with_status(405, "The method '" + std::string(ctx.request.method_text) +
                                                    "' is not allowed on this resource.");
    error.allow = route != nullptr ? route->allow : std::string();
    throw error;
}

} // namespace

} // namespace jobsessions::api
