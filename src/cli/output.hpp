// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/json/value.hpp>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::cli {

enum class Format { Table, Wide, Json, Jsonl, Yaml, Tsv, Csv };

/// The format named by -o; nullopt for an unknown name.
std::optional<Format> parse_format(std::string_view name);

/// How values are shown: local time or UTC, and colour.
struct Style {
    bool utc = false;
    bool color = false;
};

/// Colour by default only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb.
bool want_color(std::FILE* stream);

/// "2026-12-04T17:07:32.264166Z" as "2026-12-04 18:07:32" in local time ("2026-12-04 17:07:32Z" with utc);
/// anything else (null, unparsable) as it is, or "" for null.
std::string readable_time(const boost::json::value& timestamp, bool utc);
/// A .NET TimeSpan ("00:02:47.7726740", "1.02:03:04.5000000") as its two largest units: "2m 47s", "1d 2h".
std::string readable_duration(std::string_view timespan);
/// A status wrapped in its colour's escape sequences (green success, yellow warning, red error...).
std::string colored_status(std::string_view status);

/// One column of a listing: its title for tables and CSV, and its cell in readable form (table, wide) and in raw
/// form (tsv, csv: the API's values as they are, for scripts).
struct Column {
    std::string title;
    std::function<std::string(const boost::json::object&, const Style&)> readable;
    std::function<std::string(const boost::json::object&)> raw;
    bool is_status = false;
    /// Only in wide tables.
    bool wide_only = false;
    /// The least width in a streamed table, whose columns are not measured first.
    std::size_t width = 0;
};

/// Writes objects in one of the formats as they come: tables aligned over the first rows (up to a few hundred,
/// so a listing of millions streams in constant memory), json as an array, jsonl one object a line, yaml a
/// sequence, tsv without a header, csv with one.
class Printer {
public:
    Printer(Format format, std::vector<Column> columns, Style style, std::FILE* out = stdout);
    ~Printer();
    Printer(const Printer&) = delete;
    Printer& operator=(const Printer&) = delete;

    void add(const boost::json::object& item);
    /// Writes what is held back (a table's first rows, the end of a json array).
    void finish();
    /// True when no table header is wanted (the rows alone).
    bool no_header = false;
    /// Each item is written and flushed at once (a followed log, a watch): a table's columns then take their
    /// titles' or their `width`, not their cells' measure.
    bool streaming = false;

private:
    void flush_table();
    void print_row(const std::vector<std::string>& cells, const std::vector<bool>& status_cells);

    Format format_;
    std::vector<Column> columns_;
    Style style_;
    std::FILE* out_;
    std::vector<std::vector<std::string>> pending_;
    std::vector<std::size_t> widths_;
    bool table_started_ = false;
    std::size_t count_ = 0;
    bool finished_ = false;
};

/// Writes one JSON value as YAML (block style) to `out`.
void write_yaml(const boost::json::value& value, std::FILE* out);

} // namespace jobsessions::cli
