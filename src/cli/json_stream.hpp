// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace jobsessions::cli {

/// Reads a JSON document such as the collection's `{"totalCount":…,"results":[{…},{…}],…}` as it arrives, and
/// hands over each object of one top-level array member as soon as it is complete, so that a list of a million
/// sessions is read in the memory of one. Built on Boost.JSON's push parser (basic_parser) and value_stack.
class ArrayMemberReader {
public:
    /// `member` names the array ("results"); `on_item` gets each object of it.
    ArrayMemberReader(std::string member, std::function<void(const boost::json::object&)> on_item);
    ~ArrayMemberReader();
    ArrayMemberReader(const ArrayMemberReader&) = delete;
    ArrayMemberReader& operator=(const ArrayMemberReader&) = delete;

    /// Feeds the next piece of the document. Throws CliError when it is not valid JSON.
    void write(std::string_view piece);
    /// Ends the document; throws CliError when it is incomplete.
    void finish();

    /// A top-level integer member seen so far (such as "totalCount"), or -1.
    [[nodiscard]] std::int64_t top_level_integer(const std::string& name) const;

private:
    struct Handler;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace jobsessions::cli
