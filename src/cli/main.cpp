// SPDX-License-Identifier: Apache-2.0
// jobsessions: the command-line client of jobsessiond.
#include "cli/context.hpp"
#include "cli/errors.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv)
{
    using namespace jobsessions::cli;
    CLI::App app{"jobsessions: the command-line client of jobsessiond", "jobsessions"};
    app.fallthrough(); // the options below are taken after a command's name too
    app.require_subcommand(1);
    app.set_version_flag("--version", "jobsessions " JOBSESSIONS_VERSION);
    GlobalOptions global;
    app.add_option("--server", global.connection.server, "The server, https://HOST:PORT (JOBSESSIONS_SERVER)");
    app.add_option("--profile", global.connection.profile, "The saved login to use (JOBSESSIONS_PROFILE)");
    app.add_option("-o,--output", global.output,
                   "table, wide, json, jsonl, yaml, tsv or csv (table on a terminal, tsv otherwise)")
        ->check(CLI::IsMember({"table", "wide", "json", "jsonl", "yaml", "tsv", "csv"}));
    app.add_flag("--utc", global.utc, "Times in UTC instead of local time");
    app.add_option("--fingerprint", global.connection.fingerprint,
                   "Trust the server's certificate with this SHA-256 fingerprint");
    app.add_option("--cacert", global.connection.cacert, "Verify the server with the authorities in this PEM file")
        ->check(CLI::ExistingFile);
    app.add_flag("--insecure", global.connection.insecure,
                 "Do not check the server's certificate at all: anyone on the way can read and change the traffic");
    add_login_commands(app, global);
    add_session_commands(app, global);
    add_policy_commands(app, global);
    int exit_code = kSuccess;
    add_run_command(app, global, exit_code);
    add_completion_command(app);
    app.footer("\nThe login is kept in $XDG_CONFIG_HOME/jobsessions/config.json (readable by you alone).\n"
               "Exit codes: 0 success, 1 error, 2 usage, 3 timeout, 4 not signed in or not allowed,\n"
               "5 the session ended in Error or was canceled (--exit-status, run), 130 interrupted.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kSuccess : kUsage;
    } catch (const CliError& e) {
        std::fprintf(stderr, "jobsessions: %s\n", e.what());
        return e.code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "jobsessions: %s\n", e.what());
        return kError;
    }
    return exit_code;
}
