// SPDX-License-Identifier: Apache-2.0
// Fills a data directory with generated sessions and log entries through the store interface, for benchmarks
// and for the tests that need a big store. Usage:
//   jobsessions-seed --data-dir DIR --sessions N [--log-entries M] [--days D]
#include "jobsessions/app/data_dir.hpp"
#include "jobsessions/store/store.hpp"

#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace jobsessions;

constexpr std::size_t kBatch = 5000;

struct Options {
    std::string data_dir;
    std::int64_t sessions = 0;
    std::int64_t log_entries = 0;
    std::int64_t days = 730;
};

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--data-dir") {
            o.data_dir = value;
        } else if (flag == "--sessions") {
            o.sessions = std::stoll(value);
        } else if (flag == "--log-entries") {
            o.log_entries = std::stoll(value);
        } else if (flag == "--days") {
            o.days = std::stoll(value);
        } else {
            throw std::invalid_argument("unknown option " + std::string(flag));
        }
    }
    if (o.data_dir.empty() || o.sessions <= 0) {
        throw std::invalid_argument("usage: jobsessions-seed --data-dir DIR --sessions N [--log-entries M] [--days D]");
    }
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        const auto options = parse(argc, argv);
        app::prepare_data_dir(options.data_dir, app::DataDirOptions{});
        auto store = app::open_store(options.data_dir, app::DataDirOptions{});
        std::mt19937_64 random(20201105);
        const domain::SessionType types[] = {domain::SessionType::PolicyBackup,   domain::SessionType::PolicyBackup,
                                             domain::SessionType::PolicyBackup,   domain::SessionType::PolicySnapshot,
                                             domain::SessionType::PolicySnapshot, domain::SessionType::BackupRetention,
                                             domain::SessionType::HealthCheck,    domain::SessionType::RestoreVms};
        const domain::SessionStatus statuses[] = {domain::SessionStatus::Success, domain::SessionStatus::Success,
                                                  domain::SessionStatus::Success, domain::SessionStatus::Success,
                                                  domain::SessionStatus::Warning, domain::SessionStatus::Error};
        // Sessions end before now and spread evenly over the last `days` days, oldest first.
        const util::Micros now = util::now_micros();
        const util::Micros span = options.days * 86'400 * util::kMicrosPerSecond;
        const util::Micros step = span / options.sessions;
        std::vector<store::NewSession> batch;
        batch.reserve(kBatch);
        std::int64_t written = 0;
        for (std::int64_t i = 0; i < options.sessions; ++i) {
            store::NewSession s;
            s.type = types[random() % std::size(types)];
            s.status = statuses[random() % std::size(statuses)];
            s.start_time = now - span + i * step;
            s.stop_time = s.start_time + static_cast<util::Micros>(random() % (3600 * util::kMicrosPerSecond));
            s.created_by = 1;
            if (s.type == domain::SessionType::PolicyBackup || s.type == domain::SessionType::PolicySnapshot) {
                const auto policy = random() % 50;
                s.backup_info =
                    domain::BackupJobInfo{"policy-" + std::to_string(policy), "Nightly group " + std::to_string(policy),
                                          static_cast<std::int64_t>(random() % 20), false};
            }
            // Log entries spread evenly over the sessions.
            const auto entries =
                options.log_entries / options.sessions + (i < options.log_entries % options.sessions ? 1 : 0);
            for (std::int64_t e = 0; e < entries; ++e, ++written) {
                store::NewLogEntry entry;
                entry.log_time = s.start_time + e * util::kMicrosPerSecond;
                entry.status = domain::SessionStatus::Success;
                entry.message = "Processed disk " + std::to_string(e) + " of vm-" + std::to_string(i % 997);
                entry.execution_start_time = entry.log_time;
                entry.execution_duration = util::kMicrosPerSecond;
                s.log.push_back(std::move(entry));
            }
            batch.push_back(std::move(s));
            if (batch.size() == kBatch || i + 1 == options.sessions) {
                if (auto r = store->import_sessions(batch); !r) {
                    std::cerr << "jobsessions-seed: " << r.error().message << '\n';
                    return 1;
                }
                batch.clear();
            }
        }
        std::cout << "seeded " << options.sessions << " sessions and " << written << " log entries in "
                  << options.data_dir << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "jobsessions-seed: " << e.what() << '\n';
        return 1;
    }
}
