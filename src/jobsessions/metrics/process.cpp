// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/metrics/process.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/resource.h>

namespace jobsessions::metrics {
namespace {

/// The fields of /proc/self/stat after the command name (field 3 onwards), which may hold spaces.
std::vector<std::string> stat_fields()
{
    std::ifstream in("/proc/self/stat");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos) {
        return fields;
    }
    std::istringstream rest(text.substr(close + 1));
    for (std::string field; rest >> field;) {
        fields.push_back(field);
    }
    return fields;
}

/// A field of /proc/self/stat by its number in proc(5) (utime is 14), or 0.
double stat_field(const std::vector<std::string>& fields, std::size_t number)
{
    const auto at = number - 3;
    return at < fields.size() ? std::stod(fields[at]) : 0;
}

double boot_time_seconds()
{
    std::ifstream in("/proc/stat");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("btime ")) {
            return std::stod(line.substr(6));
        }
    }
    return 0;
}

std::vector<Sample> one(double value)
{
    return {Sample{{}, value}};
}

} // namespace

void register_process_metrics(Registry& registry)
{
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    registry.collected("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                       Registry::Type::Counter, [ticks] {
                           const auto fields = stat_fields();
                           return one((stat_field(fields, 14) + stat_field(fields, 15)) / ticks);
                       });
    registry.collected("process_resident_memory_bytes", "Resident memory size, in bytes.", Registry::Type::Gauge,
                       [page] { return one(stat_field(stat_fields(), 24) * page); });
    registry.collected("process_virtual_memory_bytes", "Virtual memory size, in bytes.", Registry::Type::Gauge,
                       [] { return one(stat_field(stat_fields(), 23)); });
    registry.collected("process_open_fds", "Open file descriptors.", Registry::Type::Gauge, [] {
        double open = 0;
        if (DIR* dir = ::opendir("/proc/self/fd"); dir != nullptr) {
            while (const dirent* entry = ::readdir(dir)) {
                open += entry->d_name[0] == '.' ? 0 : 1;
            }
            ::closedir(dir);
            open -= 1; // the directory's own descriptor
        }
        return one(open);
    });
    registry.collected("process_max_fds", "The most file descriptors the process may open.", Registry::Type::Gauge, [] {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        return one(static_cast<double>(limit.rlim_cur));
    });
    const double started = boot_time_seconds() + stat_field(stat_fields(), 22) / ticks;
    registry.collected("process_start_time_seconds", "When the process started, in seconds since 1970.",
                       Registry::Type::Gauge, [started] { return one(started); });
}

} // namespace jobsessions::metrics
