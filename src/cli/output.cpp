// SPDX-License-Identifier: Apache-2.0
#include "cli/output.hpp"

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <yaml-cpp/yaml.h>

namespace jobsessions::cli {
namespace {

constexpr std::size_t kAlignedRows = 500;

// Cells of tab-separated output stay on one line and in one field.
std::string tsv_cell(std::string cell)
{
    for (auto& c : cell) {
        if (c == '\t' || c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return cell;
}

// Text for a terminal: a tab or line break becomes a space, and other control characters (C0, DEL, and C1 as
// UTF-8) become '?', so that a log line cannot move the cursor, retitle the window or inject escape sequences.
std::string terminal_safe(std::string cell)
{
    std::string out;
    out.reserve(cell.size());
    for (std::size_t i = 0; i < cell.size(); ++i) {
        const auto c = static_cast<unsigned char>(cell[i]);
        if (c == '\t' || c == '\n' || c == '\r') {
            out.push_back(' ');
        } else if (c < 0x20 || c == 0x7f) {
            out.push_back('?');
        } else if (c == 0xc2 && i + 1 < cell.size() && static_cast<unsigned char>(cell[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(cell[i + 1]) <= 0x9f) {
            out.push_back('?');
            ++i;
        } else {
            out.push_back(cell[i]);
        }
    }
    return out;
}

// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
std::string csv_cell(const std::string& cell)
{
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
        return cell;
    }
    std::string out = "\"";
    for (const char c : cell) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// Display width of UTF-8 text: its code points (wide characters count one; good enough for column alignment).
std::size_t display_width(std::string_view text)
{
    std::size_t width = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
            ++width;
        }
    }
    return width;
}

// True when a string written plain would read back as something else in YAML (a number, a boolean, null, a
// date or time): such strings are quoted, so that "4" stays the string the API sent.
bool needs_quotes(std::string_view text)
{
    if (text.empty()) {
        return true;
    }
    std::string lower(text);
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    static constexpr std::array<std::string_view, 11> kWords{"true", "false", "yes", "no", "on",  "off",
                                                             "null", "~",     "y",   "n",  ".nan"};
    if (std::find(kWords.begin(), kWords.end(), lower) != kWords.end()) {
        return true;
    }
    const char first = text.front();
    return std::isdigit(static_cast<unsigned char>(first)) != 0 || first == '-' || first == '+' || first == '.';
}

void emit(YAML::Emitter& out, const boost::json::value& value)
{
    switch (value.kind()) {
    case boost::json::kind::null:
        out << YAML::Null;
        return;
    case boost::json::kind::bool_:
        out << value.get_bool();
        return;
    case boost::json::kind::int64:
        out << value.get_int64();
        return;
    case boost::json::kind::uint64:
        out << value.get_uint64();
        return;
    case boost::json::kind::double_:
        out << value.get_double();
        return;
    case boost::json::kind::string: {
        const std::string text(value.get_string());
        if (needs_quotes(text)) {
            out << YAML::DoubleQuoted;
        }
        out << text;
        return;
    }
    case boost::json::kind::array:
        out << YAML::BeginSeq;
        for (const auto& item : value.get_array()) {
            emit(out, item);
        }
        out << YAML::EndSeq;
        return;
    case boost::json::kind::object:
        out << YAML::BeginMap;
        for (const auto& [key, item] : value.get_object()) {
            out << YAML::Key << std::string(key) << YAML::Value;
            emit(out, item);
        }
        out << YAML::EndMap;
        return;
    }
}

} // namespace

std::optional<Format> parse_format(std::string_view name)
{
    static constexpr std::array<std::pair<std::string_view, Format>, 7> kNames{{{"table", Format::Table},
                                                                                {"wide", Format::Wide},
                                                                                {"json", Format::Json},
                                                                                {"jsonl", Format::Jsonl},
                                                                                {"yaml", Format::Yaml},
                                                                                {"tsv", Format::Tsv},
                                                                                {"csv", Format::Csv}}};
    for (const auto& [text, format] : kNames) {
        if (text == name) {
            return format;
        }
    }
    return std::nullopt;
}

bool want_color(std::FILE* stream)
{
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(::fileno(stream)) == 1 && (no_color == nullptr || *no_color == '\0') &&
           !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

std::string readable_time(const boost::json::value& timestamp, bool utc)
{
    if (!timestamp.is_string()) {
        return {};
    }
    std::string text(timestamp.get_string());
    std::tm tm{};
    int fields = 0;
    // "YYYY-MM-DDTHH:MM:SS" and a fraction and Z the API always writes.
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &fields) != 6 ||
        text.back() != 'Z') {
        return text;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const std::time_t when = ::timegm(&tm);
    std::tm shown{};
    std::array<char, 32> out{};
    if (utc) {
        ::gmtime_r(&when, &shown);
        std::strftime(out.data(), out.size(), "%Y-%m-%d %H:%M:%SZ", &shown);
    } else {
        ::localtime_r(&when, &shown);
        std::strftime(out.data(), out.size(), "%Y-%m-%d %H:%M:%S", &shown);
    }
    return out.data();
}

std::string readable_duration(std::string_view timespan)
{
    long long days = 0;
    long long hours = 0;
    long long minutes = 0;
    double seconds = 0;
    std::string text(timespan);
    if (std::sscanf(text.c_str(), "%lld.%lld:%lld:%lf", &days, &hours, &minutes, &seconds) != 4) {
        days = 0;
        if (std::sscanf(text.c_str(), "%lld:%lld:%lf", &hours, &minutes, &seconds) != 3) {
            return text;
        }
    }
    const std::array<std::pair<long long, const char*>, 4> units{
        {{days, "d"}, {hours, "h"}, {minutes, "m"}, {static_cast<long long>(seconds), "s"}}};
    // The largest unit that is not zero, and the next one when it is not zero either.
    for (std::size_t i = 0; i < units.size(); ++i) {
        if (units[i].first == 0) {
            continue;
        }
        std::string out = std::to_string(units[i].first) + units[i].second;
        if (i + 1 < units.size() && units[i + 1].first != 0) {
            out += " " + std::to_string(units[i + 1].first) + units[i + 1].second;
        }
        return out;
    }
    return seconds > 0 ? "<1s" : "0s";
}

std::string colored_status(std::string_view status)
{
    const char* color = "";
    if (status == "Success") {
        color = "\x1b[32m";
    } else if (status == "Warning" || status == "RunningWithWarning") {
        color = "\x1b[33m";
    } else if (status == "Error" || status == "RunningWithError") {
        color = "\x1b[31m";
    } else if (status == "Running" || status == "Pending") {
        color = "\x1b[36m";
    } else if (status == "Canceled" || status == "Canceling" || status == "NeverExecuted") {
        color = "\x1b[35m";
    }
    if (*color == '\0') {
        return std::string(status);
    }
    return std::string(color) + std::string(status) + "\x1b[0m";
}

Printer::Printer(Format format, std::vector<Column> columns, Style style, std::FILE* out)
    : format_(format)
    , style_(style)
    , out_(out)
{
    for (auto& column : columns) {
        if (!column.wide_only || format_ != Format::Table) {
            columns_.push_back(std::move(column));
        }
    }
    if (format_ == Format::Csv) {
        std::vector<std::string> titles;
        std::string line;
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            line += (i > 0 ? "," : "") + csv_cell(columns_[i].title);
        }
        std::fprintf(out_, "%s\n", line.c_str());
    }
}

Printer::~Printer()
{
    if (!finished_) {
        finish();
    }
}

void Printer::add(const boost::json::object& item)
{
    ++count_;
    switch (format_) {
    case Format::Table:
    case Format::Wide: {
        std::vector<std::string> cells;
        for (const auto& column : columns_) {
            cells.push_back(terminal_safe(column.readable(item, style_)));
        }
        pending_.push_back(std::move(cells));
        if (pending_.size() >= kAlignedRows || streaming) {
            flush_table();
            if (streaming) {
                std::fflush(out_);
            }
        }
        return;
    }
    case Format::Json:
        std::fprintf(out_, "%s%s", count_ == 1 ? "[" : ",", boost::json::serialize(item).c_str());
        return;
    case Format::Jsonl:
        std::fprintf(out_, "%s\n", boost::json::serialize(item).c_str());
        if (streaming) {
            std::fflush(out_);
        }
        return;
    case Format::Yaml: {
        boost::json::array one;
        one.push_back(item);
        write_yaml(one, out_);
        return;
    }
    case Format::Tsv:
    case Format::Csv: {
        std::string line;
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            const auto cell = columns_[i].raw(item);
            if (format_ == Format::Tsv) {
                line += (i > 0 ? "\t" : "") + tsv_cell(cell);
            } else {
                line += (i > 0 ? "," : "") + csv_cell(cell);
            }
        }
        std::fprintf(out_, "%s\n", line.c_str());
        if (streaming) {
            std::fflush(out_);
        }
        return;
    }
    }
}

void Printer::finish()
{
    finished_ = true;
    if (format_ == Format::Table || format_ == Format::Wide) {
        flush_table();
    } else if (format_ == Format::Json) {
        std::fprintf(out_, "%s\n", count_ == 0 ? "[]" : "]");
    } else if (format_ == Format::Yaml && count_ == 0) {
        std::fprintf(out_, "[]\n");
    }
    std::fflush(out_);
}

void Printer::flush_table()
{
    if (!table_started_) {
        table_started_ = true;
        widths_.assign(columns_.size(), 0);
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            widths_[i] = std::max(no_header ? 0 : display_width(columns_[i].title), columns_[i].width);
        }
        for (const auto& row : pending_) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                widths_[i] = std::max(widths_[i], display_width(row[i]));
            }
        }
        if (!no_header) {
            std::vector<std::string> titles;
            for (const auto& column : columns_) {
                titles.push_back(column.title);
            }
            print_row(titles, std::vector<bool>(columns_.size(), false));
        }
    }
    std::vector<bool> status_cells;
    for (const auto& column : columns_) {
        status_cells.push_back(column.is_status && style_.color);
    }
    for (const auto& row : pending_) {
        print_row(row, status_cells);
    }
    pending_.clear();
}

void Printer::print_row(const std::vector<std::string>& cells, const std::vector<bool>& status_cells)
{
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const bool last = i + 1 == cells.size();
        line += status_cells[i] ? colored_status(cells[i]) : cells[i];
        if (!last) {
            const auto width = display_width(cells[i]);
            line.append(widths_[i] > width ? widths_[i] - width : 0, ' ');
            line.append("  ");
        }
    }
    std::fprintf(out_, "%s\n", line.c_str());
}

void write_yaml(const boost::json::value& value, std::FILE* out)
{
    YAML::Emitter emitter;
    emit(emitter, value);
    std::fprintf(out, "%s\n", emitter.c_str());
}

} // namespace jobsessions::cli
