// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cli/api_client.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace jobsessions::cli {

/// The options every command takes (before or after the command's name).
struct GlobalOptions {
    ConnectionFlags connection;
    /// -o; empty: table on a terminal, tsv otherwise.
    std::string output;
    bool utc = false;

    /// The format to write in.
    [[nodiscard]] Format format() const;
    [[nodiscard]] Style style() const;
};

/// The sessions' columns, readable and raw.
std::vector<Column> session_columns();
/// A log's columns.
std::vector<Column> log_columns();
/// The policies' columns.
std::vector<Column> policy_columns();

/// Writes a JSON text to stdout as it is, ending with a newline.
void print_json_text(std::string_view text);

/// Writes one object the API answered (`json` its text) in the chosen format: json as it is, yaml, or a row.
void print_item(const GlobalOptions& global, std::string_view json, std::vector<Column> columns);

/// Writes the objects of the array member `member` of an answer (a page of a list) in the chosen format; json
/// writes the whole answer as it is.
void print_items(const GlobalOptions& global, std::string_view json, const std::string& member,
                 std::vector<Column> columns);

// Each adds its commands to the application.
void add_login_commands(CLI::App& app, GlobalOptions& global);
void add_session_commands(CLI::App& app, GlobalOptions& global);
void add_policy_commands(CLI::App& app, GlobalOptions& global);
void add_completion_command(CLI::App& app);
/// `run` sets `exit_code` to the wrapped command's.
void add_run_command(CLI::App& app, GlobalOptions& global, int& exit_code);

} // namespace jobsessions::cli
