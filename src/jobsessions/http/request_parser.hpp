// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/request.hpp"

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <string>

namespace jobsessions::http {

/// Request framing the server does not take (RFC 9112 §6); the connection is closed after the answer, since where
/// the next request would start cannot be known.
enum class FramingError : std::uint8_t {
    None,
    /// A transfer coding other than chunked (`gzip`, `identity`, `xchunked`): 501.
    UnsupportedCoding,
    /// Chunked twice, an empty Transfer-Encoding, or one in HTTP/1.0: 400.
    BadTransferEncoding,
    /// An absolute-form target that is not http(s) with a host, or that carries user information: 400.
    BadAbsoluteTarget,
};

/// Beast's HTTP/1.1 request parser, keeping only the fields the server uses. Everything it keeps is copied into a
/// connection-owned arena whose capacity is reused, so parsing allocates nothing once the connection is warm.
/// A parser handles one message; make a new one for each request.
class RequestParser final : public boost::beast::http::basic_parser<true> {
public:
    /// Parses into `arena` (cleared here) and `body` (cleared here).
    RequestParser(std::string& arena, std::string& body);

    /// Fills the request-line, header and body views of `request`; call once the message is done.
    void fill(Request& request) const;

    /// Fills only the request-line views (method and target), for answering a request that failed mid-way.
    void fill_request_line(Request& request) const;

    /// What was wrong with the request's framing when parsing failed for it; None otherwise.
    [[nodiscard]] FramingError framing_error() const noexcept { return framing_error_; }

    /// True when the client sent `Expect: 100-continue`.
    [[nodiscard]] bool expects_continue() const noexcept { return expect_continue_; }

private:
    struct Slice {
        std::size_t offset = 0;
        std::size_t size = 0;
        bool present = false;
    };

    void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_text,
                         boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
    void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_text,
                       boost::beast::string_view value, boost::beast::error_code& ec) override;
    void on_header_impl(boost::beast::error_code& ec) override;
    /// Records why the framing is refused and stops the parse.
    void refuse_framing(FramingError why, boost::beast::error_code& ec);
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, boost::beast::error_code& ec) override;
    std::size_t on_body_impl(boost::beast::string_view data, boost::beast::error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view data,
                                   boost::beast::error_code& ec) override;
    void on_finish_impl(boost::beast::error_code&) override {}

    Slice keep(boost::beast::string_view text);
    [[nodiscard]] std::string_view view(const Slice& slice) const noexcept;

    std::string& arena_;
    std::string& body_;
    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    int version_ = 11;
    Slice method_text_;
    Slice target_;
    Slice host_;
    Slice authorization_;
    Slice content_type_;
    Slice accept_;
    Slice idempotency_key_;
    Slice forwarded_proto_;
    Slice forwarded_host_;
    Slice forwarded_for_;
    Slice last_event_id_;
    Slice traceparent_;
    Slice accept_encoding_;
    Slice if_none_match_;
    Slice cookie_;
    /// The authority of an absolute-form target (`GET http://host/path`), which stands for the Host field.
    Slice absolute_host_;
    bool duplicate_field_ = false;
    bool expect_continue_ = false;
    /// How often Transfer-Encoding named chunked (the only coding taken).
    int chunked_codings_ = 0;
    FramingError framing_error_ = FramingError::None;
};

} // namespace jobsessions::http
