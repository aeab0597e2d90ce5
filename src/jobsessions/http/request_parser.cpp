// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/request_parser.hpp"

#include "jobsessions/util/strings.hpp"

namespace jobsessions::http {

namespace beast = boost::beast;
using beast::http::field;

namespace {

bool starts_with_scheme(std::string_view target, std::string_view scheme)
{
    return target.size() > scheme.size() && util::iequals(target.substr(0, scheme.size()), scheme);
}

} // namespace

RequestParser::RequestParser(std::string& arena, std::string& body)
    : arena_(arena)
    , body_(body)
{
    arena_.clear();
    body_.clear();
}

RequestParser::Slice RequestParser::keep(beast::string_view text)
{
    Slice slice{arena_.size(), text.size(), true};
    arena_.append(text.data(), text.size());
    return slice;
}

std::string_view RequestParser::view(const Slice& slice) const noexcept
{
    return {arena_.data() + slice.offset, slice.size};
}

void RequestParser::on_request_impl(beast::http::verb method, beast::string_view method_text, beast::string_view target,
                                    int version, beast::error_code& ec)
{
    method_ = method;
    version_ = version;
    method_text_ = keep(method_text);
    const std::string_view text{target.data(), target.size()};
    const std::size_t scheme = starts_with_scheme(text, "http://") ? 7 : starts_with_scheme(text, "https://") ? 8 : 0;
    if (scheme == 0) {
        target_ = keep(target);
        return;
    }
    // Absolute form (RFC 9112 §3.2.2), as sent to proxies: its authority stands for Host, the rest is the target.
    const auto rest = text.substr(scheme);
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
        refuse_framing(FramingError::BadAbsoluteTarget, ec);
        return;
    }
    absolute_host_ = keep(authority);
    const auto path = rest.substr(authority.size());
    if (path.empty() || path.front() != '/') {
        // "http://host" and "http://host?q" have the path "/".
        target_ = keep("/");
        arena_.append(path.data(), path.size());
        target_.size += path.size();
    } else {
        target_ = keep(path);
    }
}

void RequestParser::refuse_framing(FramingError why, beast::error_code& ec)
{
    framing_error_ = why;
    ec = beast::http::error::bad_transfer_encoding;
}

void RequestParser::on_header_impl(beast::error_code& ec)
{
    if (chunked_codings_ > 1) {
        refuse_framing(FramingError::BadTransferEncoding, ec);
    }
}

void RequestParser::on_field_impl(field name, beast::string_view name_text, beast::string_view value,
                                  beast::error_code& ec)
{
    auto keep_single = [&](Slice& slot) {
        if (slot.present) {
            duplicate_field_ = true;
            return;
        }
        slot = keep(value);
    };
    // Fields that may repeat: the first one counts.
    auto keep_first = [&](Slice& slot) {
        if (!slot.present) {
            slot = keep(value);
        }
    };
    switch (name) {
    case field::host:
        keep_single(host_);
        break;
    case field::authorization:
        keep_single(authorization_);
        break;
    case field::content_type:
        keep_single(content_type_);
        break;
    case field::accept:
        keep_first(accept_);
        break;
    case field::accept_encoding:
        keep_first(accept_encoding_);
        break;
    case field::if_none_match:
        keep_first(if_none_match_);
        break;
    case field::cookie:
        keep_first(cookie_);
        break;
    case field::expect:
        expect_continue_ = util::iequals(util::trim({value.data(), value.size()}), "100-continue");
        break;
    case field::transfer_encoding: {
        // Only chunked is implemented, named once. HTTP/1.0 has no transfer codings.
        const auto codings = util::split_list({value.data(), value.size()});
        if (codings.empty() || version_ < 11) {
            refuse_framing(FramingError::BadTransferEncoding, ec);
            return;
        }
        for (const auto coding : codings) {
            if (!util::iequals(coding, "chunked")) {
                refuse_framing(FramingError::UnsupportedCoding, ec);
                return;
            }
            ++chunked_codings_;
        }
        break;
    }
    case field::unknown: {
        // Beast has no enumerators for these, so they arrive by name.
        const std::string_view text{name_text.data(), name_text.size()};
        if (util::iequals(text, "Idempotency-Key")) {
            keep_single(idempotency_key_);
        } else if (util::iequals(text, "X-Forwarded-Proto")) {
            forwarded_proto_ = keep(value);
        } else if (util::iequals(text, "X-Forwarded-Host")) {
            forwarded_host_ = keep(value);
        } else if (util::iequals(text, "X-Forwarded-For")) {
            forwarded_for_ = keep(value);
        } else if (util::iequals(text, "Last-Event-ID")) {
            last_event_id_ = keep(value);
        } else if (util::iequals(text, "traceparent")) {
            traceparent_ = keep(value);
        }
        break;
    }
    default:
        break;
    }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code&)
{
    // The body limit has been checked against Content-Length by now, so this reserve is bounded.
    if (content_length) {
        body_.reserve(static_cast<std::size_t>(*content_length));
    }
}

std::size_t RequestParser::on_body_impl(beast::string_view data, beast::error_code&)
{
    body_.append(data.data(), data.size());
    return data.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, beast::string_view data, beast::error_code&)
{
    body_.append(data.data(), data.size());
    return data.size();
}

void RequestParser::fill_request_line(Request& request) const
{
    request = Request{};
    request.method = method_;
    request.method_text = view(method_text_);
    request.target = view(target_);
    request.version = version_;
}

void RequestParser::fill(Request& request) const
{
    request.method = method_;
    request.method_text = view(method_text_);
    request.target = view(target_);
    request.version = version_;
    request.keep_alive = keep_alive();
    request.host = absolute_host_.present ? view(absolute_host_) : view(host_);
    request.authorization = view(authorization_);
    request.content_type = view(content_type_);
    request.accept = view(accept_);
    request.idempotency_key = view(idempotency_key_);
    request.forwarded_proto = view(forwarded_proto_);
    request.forwarded_host = view(forwarded_host_);
    request.forwarded_for = view(forwarded_for_);
    request.last_event_id = view(last_event_id_);
    request.traceparent = view(traceparent_);
    request.accept_encoding = view(accept_encoding_);
    request.if_none_match = view(if_none_match_);
    request.cookie = view(cookie_);
    request.duplicate_field = duplicate_field_;
    request.body = body_;
    request.route = nullptr;
    request.route_name = {};
    request.path_parameter.clear();
    request.application_state.reset();
}

} // namespace jobsessions::http
