// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/cron.hpp"

#include "jobsessions/util/strings.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <date/tz.h>
#include <vector>

namespace jobsessions::domain {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct Field {
    const char* name;
    int min;
    int max;
    const std::string_view* names = nullptr; // names[i] stands for min_name + i
    std::size_t name_count = 0;
    int min_name = 0;
};

constexpr Field kMinute{"minute", 0, 59};
constexpr Field kHour{"hour", 0, 23};
constexpr Field kDayOfMonth{"day of month", 1, 31};
constexpr Field kMonth{"month", 1, 12, kMonthNames.data(), kMonthNames.size(), 1};
// 7 is Sunday too; it is folded onto 0 after parsing.
constexpr Field kDayOfWeek{"day of week", 0, 7, kDayNames.data(), kDayNames.size(), 0};

std::optional<int> parse_value(std::string_view text, const Field& field)
{
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size()) {
        return value;
    }
    for (std::size_t i = 0; i < field.name_count; ++i) {
        if (util::iequals(text, field.names[i])) {
            return field.min_name + static_cast<int>(i);
        }
    }
    return std::nullopt;
}

/// Parses one field into `bits` (index = value); an error sentence on failure.
std::optional<std::string> parse_field(std::string_view text, const Field& field, std::vector<bool>& bits)
{
    bits.assign(static_cast<std::size_t>(field.max) + 1, false);
    const std::string what = std::string("the ") + field.name + " field '" + std::string(text) + "'";
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (item.empty()) {
            return what + " has an empty list item";
        }
        auto range = item;
        int step = 1;
        if (const auto slash = item.find('/'); slash != std::string_view::npos) {
            range = item.substr(0, slash);
            const auto step_text = item.substr(slash + 1);
            const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
            if (ec != std::errc{} || end != step_text.data() + step_text.size() || step < 1) {
                return what + " has a step that is not a positive number";
            }
        }
        int low = field.min;
        int high = field.max;
        if (range != "*") {
            const auto dash = range.find('-');
            const auto first = parse_value(range.substr(0, dash), field);
            if (!first) {
                return what + " has '" + std::string(range.substr(0, dash)) + "', which is not a " + field.name;
            }
            low = *first;
            if (dash != std::string_view::npos) {
                const auto last = parse_value(range.substr(dash + 1), field);
                if (!last) {
                    return what + " has '" + std::string(range.substr(dash + 1)) + "', which is not a " + field.name;
                }
                high = *last;
            } else if (item.find('/') == std::string_view::npos) {
                high = low; // a single value; "5/20" means from 5 to the end in steps of 20
            }
            if (low < field.min || high > field.max || low > field.max) {
                return what + " is outside " + std::to_string(field.min) + "-" + std::to_string(field.max);
            }
            if (low > high) {
                return what + " has a range that runs backwards";
            }
        }
        for (int v = low; v <= high; v += step) {
            bits[static_cast<std::size_t>(v)] = true;
        }
    }
    return std::nullopt;
}

template <std::size_t N> std::bitset<N> to_bitset(const std::vector<bool>& bits)
{
    std::bitset<N> out;
    for (std::size_t i = 0; i < N && i < bits.size(); ++i) {
        out[i] = bits[i];
    }
    return out;
}

std::vector<std::string_view> split_fields(std::string_view text)
{
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        const auto begin = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t') {
            ++i;
        }
        if (i > begin) {
            fields.push_back(text.substr(begin, i - begin));
        }
    }
    return fields;
}

std::optional<std::string_view> macro_fields(std::string_view name)
{
    if (name == "@hourly") {
        return "0 * * * *";
    }
    if (name == "@daily" || name == "@midnight") {
        return "0 0 * * *";
    }
    if (name == "@weekly") {
        return "0 0 * * 0";
    }
    if (name == "@monthly") {
        return "0 0 1 * *";
    }
    if (name == "@yearly" || name == "@annually") {
        return "0 0 1 1 *";
    }
    return std::nullopt;
}

constexpr std::array<int, 13> kLongestMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

} // namespace

std::variant<CronSchedule, std::string> CronSchedule::parse(std::string_view text)
{
    CronSchedule schedule;
    auto fields = split_fields(text);
    if (!fields.empty() && (fields[0].starts_with("CRON_TZ=") || fields[0].starts_with("TZ="))) {
        schedule.zone_name_ = std::string(fields[0].substr(fields[0].find('=') + 1));
        fields.erase(fields.begin());
        if (schedule.zone_name_ != "UTC") {
            try {
                schedule.zone_ = date::locate_zone(schedule.zone_name_);
            } catch (const std::exception&) {
                return "'" + schedule.zone_name_ + "' is not a time zone (an IANA name such as Europe/Berlin)";
            }
        }
    }
    if (fields.size() == 1 && fields[0].starts_with('@')) {
        const auto expanded = macro_fields(fields[0]);
        if (!expanded) {
            return "'" + std::string(fields[0]) + "' is not one of @hourly, @daily, @weekly, @monthly, @yearly";
        }
        fields = split_fields(*expanded);
    }
    if (fields.size() != 5) {
        return std::string("a schedule has five fields: minute hour day-of-month month day-of-week");
    }
    std::vector<bool> bits;
    const std::array<const Field*, 5> specs = {&kMinute, &kHour, &kDayOfMonth, &kMonth, &kDayOfWeek};
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (auto error = parse_field(fields[i], *specs[i], bits)) {
            return *error;
        }
        switch (i) {
        case 0:
            schedule.minutes_ = to_bitset<60>(bits);
            break;
        case 1:
            schedule.hours_ = to_bitset<24>(bits);
            break;
        case 2:
            schedule.days_of_month_ = to_bitset<32>(bits);
            break;
        case 3:
            schedule.months_ = to_bitset<13>(bits);
            break;
        default:
            schedule.days_of_week_ = to_bitset<7>(bits);
            if (bits[7]) {
                schedule.days_of_week_[0] = true;
            }
        }
    }
    // As in cron, a day field that starts with '*' (also "*/2") leaves the day to the other field.
    schedule.day_of_month_restricted_ = !fields[2].starts_with('*');
    schedule.day_of_week_restricted_ = !fields[4].starts_with('*');
    if (schedule.day_of_month_restricted_ && !schedule.day_of_week_restricted_) {
        bool possible = false;
        for (int month = 1; month <= 12 && !possible; ++month) {
            for (int day = 1; schedule.months_[static_cast<std::size_t>(month)] && day <= kLongestMonth.at(month);
                 ++day) {
                possible = possible || schedule.days_of_month_[static_cast<std::size_t>(day)];
            }
        }
        if (!possible) {
            return std::string("the day of month and month fields name no day that exists");
        }
    }
    return schedule;
}

bool CronSchedule::day_matches(int day_of_month, int month, int day_of_week) const
{
    if (!months_[static_cast<std::size_t>(month)]) {
        return false;
    }
    const bool by_month_day = days_of_month_[static_cast<std::size_t>(day_of_month)];
    const bool by_week_day = days_of_week_[static_cast<std::size_t>(day_of_week)];
    if (day_of_month_restricted_ && day_of_week_restricted_) {
        return by_month_day || by_week_day;
    }
    return by_month_day && by_week_day;
}

std::optional<util::Micros> CronSchedule::next_after(util::Micros after) const
{
    using std::chrono::hours;
    using std::chrono::minutes;
    using std::chrono::seconds;
    const date::sys_seconds after_seconds{std::chrono::floor<seconds>(std::chrono::microseconds(after))};
    const auto to_local = [&](date::sys_seconds t) {
        return zone_ != nullptr ? zone_->to_local(t) : date::local_seconds{t.time_since_epoch()};
    };
    const auto later = [&](date::sys_seconds t) {
        return t.time_since_epoch().count() * util::kMicrosPerSecond > after;
    };

    date::local_seconds local = std::chrono::floor<minutes>(to_local(after_seconds)) + minutes(1);
    const date::local_seconds give_up = local + date::days(8 * 366);
    while (local < give_up) {
        const auto day = std::chrono::floor<date::days>(local);
        const date::year_month_day ymd{day};
        const auto month = static_cast<int>(static_cast<unsigned>(ymd.month()));
        const auto day_of_week = static_cast<int>(date::weekday{day}.c_encoding());
        if (!day_matches(static_cast<int>(static_cast<unsigned>(ymd.day())), month, day_of_week)) {
            local = day + date::days(1);
            continue;
        }
        const auto hour = static_cast<std::size_t>(std::chrono::floor<hours>(local - day).count());
        if (!hours_[hour]) {
            local = day + hours(hour + 1);
            continue;
        }
        const auto minute = static_cast<std::size_t>(std::chrono::floor<minutes>(local - day - hours(hour)).count());
        if (!minutes_[minute]) {
            local += minutes(1);
            continue;
        }
        if (zone_ == nullptr) {
            const date::sys_seconds t{local.time_since_epoch()};
            if (later(t)) {
                return t.time_since_epoch().count() * util::kMicrosPerSecond;
            }
        } else {
            const auto info = zone_->get_info(local);
            std::vector<date::sys_seconds> instants;
            if (info.result == date::local_info::nonexistent) {
                instants.push_back(info.first.end); // the end of the gap
            } else {
                instants.push_back(date::sys_seconds{local.time_since_epoch()} - info.first.offset);
                if (info.result == date::local_info::ambiguous) {
                    instants.push_back(date::sys_seconds{local.time_since_epoch()} - info.second.offset);
                }
            }
            for (const auto t : instants) {
                if (later(t)) {
                    return t.time_since_epoch().count() * util::kMicrosPerSecond;
                }
            }
        }
        local += minutes(1);
    }
    return std::nullopt;
}

} // namespace jobsessions::domain
