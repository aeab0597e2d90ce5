// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/request_parser.hpp"

#include "jobsessions/util/strings.hpp"

namespace jobsessions::http {

namespace beast = boost::beast;
using beast::http::field;

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
                                    int version, beast::error_code&)
{
    method_ = method;
    version_ = version;
    method_text_ = keep(method_text);
    target_ = keep(target);
}

void RequestParser::on_field_impl(field name, beast::string_view name_text, beast::string_view value,
                                  beast::error_code&)
{
    auto keep_single = [&](Slice& slot) {
        if (slot.present) {
            duplicate_field_ = true;
            return;
        }
        slot = keep(value);
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
        if (!accept_.present) {
            accept_ = keep(value);
        }
        break;
    case field::expect:
        expect_continue_ = util::iequals(util::trim({value.data(), value.size()}), "100-continue");
        break;
    case field::unknown: {
        // Beast has no enumerators for these, so they arrive by name.
        const std::string_view text{name_text.data(), name_text.size()};
        if (util::iequals(text, "Idempotency-Key")) {
            keep_single(idempotency_key_);
        } else if (util::iequals(text, "X-Forwarded-Proto")) {
            forwarded_proto_ = keep(value);
        } else if (util::iequals(text, "X-Forwarded-Host")) {
            forwarded_host_ = keep(value);
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
    request.host = view(host_);
    request.authorization = view(authorization_);
    request.content_type = view(content_type_);
    request.accept = view(accept_);
    request.idempotency_key = view(idempotency_key_);
    request.forwarded_proto = view(forwarded_proto_);
    request.forwarded_host = view(forwarded_host_);
    request.last_event_id = view(last_event_id_);
    request.traceparent = view(traceparent_);
    request.duplicate_field = duplicate_field_;
    request.body = body_;
    request.route = nullptr;
    request.path_parameter.clear();
}

} // namespace jobsessions::http
