// SPDX-License-Identifier: Apache-2.0
#include "cli/json_stream.hpp"

#include "cli/errors.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <map>

namespace jobsessions::cli {

using boost::json::string_view;
using boost::system::error_code;

struct ArrayMemberReader::Handler {
    // The names Boost.JSON's parser asks its handler for.
    static constexpr std::size_t max_object_size = std::size_t(-1); // NOLINT(readability-identifier-naming)
    static constexpr std::size_t max_array_size = std::size_t(-1);  // NOLINT(readability-identifier-naming)
    static constexpr std::size_t max_key_size = std::size_t(-1);    // NOLINT(readability-identifier-naming)
    static constexpr std::size_t max_string_size = std::size_t(-1); // NOLINT(readability-identifier-naming)

    Handler(std::string wanted, std::function<void(const boost::json::object&)> deliver)
        : member(std::move(wanted))
        , on_item(std::move(deliver))
    {
    }

    std::string member;
    std::function<void(const boost::json::object&)> on_item;
    boost::json::value_stack stack;
    std::size_t depth = 0;
    // The array is open; an item of it is being read.
    bool in_member = false;
    bool in_item = false;
    std::string key;
    std::string key_part;
    std::map<std::string, std::int64_t> integers;

    bool on_document_begin(error_code& /*ec*/) { return true; }
    bool on_document_end(error_code& /*ec*/) { return true; }
    bool on_object_begin(error_code& /*ec*/)
    {
        ++depth;
        if (in_member && depth == 3) {
            in_item = true;
            stack.reset();
        }
        return true;
    }
    bool on_object_end(std::size_t n, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_object(n);
            if (depth == 3) {
                in_item = false;
                on_item(stack.release().get_object());
            }
        }
        --depth;
        return true;
    }
    bool on_array_begin(error_code& /*ec*/)
    {
        ++depth;
        if (depth == 2 && key == member) {
            in_member = true;
        }
        return true;
    }
    bool on_array_end(std::size_t n, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_array(n);
        } else if (depth == 2) {
            in_member = false;
        }
        --depth;
        return true;
    }
    bool on_key_part(string_view s, std::size_t /*n*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_chars(s);
        } else if (depth == 1) {
            key_part.append(s.data(), s.size());
        }
        return true;
    }
    bool on_key(string_view s, std::size_t /*n*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_key(s);
        } else if (depth == 1) {
            key = key_part + std::string(s);
            key_part.clear();
        }
        return true;
    }
    bool on_string_part(string_view s, std::size_t /*n*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_chars(s);
        }
        return true;
    }
    bool on_string(string_view s, std::size_t /*n*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_string(s);
        }
        return true;
    }
    bool on_number_part(string_view /*s*/, error_code& /*ec*/) { return true; }
    bool on_int64(std::int64_t i, string_view /*s*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_int64(i);
        } else if (depth == 1) {
            integers[key] = i;
        }
        return true;
    }
    bool on_uint64(std::uint64_t u, string_view /*s*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_uint64(u);
        }
        return true;
    }
    bool on_double(double d, string_view /*s*/, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_double(d);
        }
        return true;
    }
    bool on_bool(bool b, error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_bool(b);
        }
        return true;
    }
    bool on_null(error_code& /*ec*/)
    {
        if (in_item) {
            stack.push_null();
        }
        return true;
    }
    bool on_comment_part(string_view /*s*/, error_code& /*ec*/) { return true; }
    bool on_comment(string_view /*s*/, error_code& /*ec*/) { return true; }
};

struct ArrayMemberReader::Impl {
    Impl(std::string member, std::function<void(const boost::json::object&)> on_item)
        : parser(boost::json::parse_options{}, std::move(member), std::move(on_item))
    {
    }
    boost::json::basic_parser<Handler> parser;
};

ArrayMemberReader::ArrayMemberReader(std::string member, std::function<void(const boost::json::object&)> on_item)
    : impl_(std::make_unique<Impl>(std::move(member), std::move(on_item)))
{
}

ArrayMemberReader::~ArrayMemberReader() = default;

void ArrayMemberReader::write(std::string_view piece)
{
    error_code ec;
    impl_->parser.write_some(true, piece.data(), piece.size(), ec);
    if (ec) {
        throw CliError(kError, "the server's answer is not valid JSON: " + ec.message());
    }
}

void ArrayMemberReader::finish()
{
    error_code ec;
    impl_->parser.write_some(false, nullptr, 0, ec);
    if (ec || !impl_->parser.done()) {
        throw CliError(kError, "the server's answer ended before its JSON did");
    }
}

std::int64_t ArrayMemberReader::top_level_integer(const std::string& name) const
{
    const auto& integers = impl_->parser.handler().integers;
    const auto found = integers.find(name);
    return found == integers.end() ? -1 : found->second;
}

} // namespace jobsessions::cli
