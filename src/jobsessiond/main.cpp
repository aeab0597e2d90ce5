// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/backup_command.hpp"
#include "jobsessions/app/config.hpp"
#include "jobsessions/app/migrate_command.hpp"
#include "jobsessions/app/server_app.hpp"
#include "jobsessions/app/user_command.hpp"
#include "jobsessions/log/log.hpp"

#include <iostream>
#include <stdexcept>

int main(int argc, char** argv)
{
    using jobsessions::app::ParsedCommandLine;
    ParsedCommandLine command;
    try {
        command = jobsessions::app::parse_command_line(argc, argv);
    } catch (const std::invalid_argument& e) {
        std::cerr << "jobsessiond: " << e.what() << '\n';
        return 2;
    }
    jobsessions::log::set_format(command.config.log_format);
    switch (command.action) {
    case ParsedCommandLine::Action::Help:
        std::cout << jobsessions::app::usage();
        return 0;
    case ParsedCommandLine::Action::Version:
        std::cout << "jobsessiond " << JOBSESSIONS_VERSION << '\n';
        return 0;
    case ParsedCommandLine::Action::User:
        return jobsessions::app::run_user_command(command);
    case ParsedCommandLine::Action::Migrate:
        return jobsessions::app::run_migrate_command(command);
    case ParsedCommandLine::Action::Backup:
        return jobsessions::app::run_backup_command(command);
    case ParsedCommandLine::Action::Restore:
        return jobsessions::app::run_restore_command(command);
    case ParsedCommandLine::Action::ConfigCheck:
        std::cout << jobsessions::app::describe(command);
        return 0;
    case ParsedCommandLine::Action::Serve:
        break;
    }
    return jobsessions::app::run_server(command.config);
}
