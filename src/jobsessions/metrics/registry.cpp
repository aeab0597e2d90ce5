// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace jobsessions::metrics {
namespace {

void append_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {})
{
    if (names.empty() && extra_name.empty()) {
        return;
    }
    out.push_back('{');
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        out.append(names[i]).append("=\"");
        append_label_value(out, values[i]);
        out.push_back('"');
    }
    if (!extra_name.empty()) {
        if (!names.empty()) {
            out.push_back(',');
        }
        out.append(extra_name).append("=\"").append(extra_value).push_back('"');
    }
    out.push_back('}');
}

/// One sample line: its name, labels and value.
void append_sample(std::string& out, std::string_view name, const std::vector<std::string>& label_names,
                   const std::vector<std::string>& values, double value)
{
    out.append(name);
    append_labels(out, label_names, values);
    out.push_back(' ');
    append_value(out, value);
    out.push_back('\n');
}

std::string bound_text(double bound)
{
    std::string out;
    append_value(out, bound);
    return out;
}

} // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds)
    , buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds->size() + 1))
{
}

void Histogram::observe(double value) noexcept
{
    const auto at = std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin();
    buckets_[static_cast<std::size_t>(at)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const
{
    Snapshot snapshot;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_->size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        snapshot.cumulative.push_back(running);
    }
    snapshot.sum = sum_.load(std::memory_order_relaxed);
    return snapshot;
}

const std::vector<double>& request_seconds_buckets()
{
    static const std::vector<double> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    return bounds;
}

const std::vector<double>& job_seconds_buckets()
{
    static const std::vector<double> bounds = {1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400};
    return bounds;
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names)
{
    auto& family = *counters_.emplace_back(
        std::make_unique<Family<Counter>>(std::move(label_names), [] { return std::make_unique<Counter>(); }));
    entries_.push_back({name, std::move(help), "counter", [&family, name](std::string& out) {
                            family.each([&](const std::vector<std::string>& values, const Counter& c) {
                                append_sample(out, name, family.label_names(), values, static_cast<double>(c.value()));
                            });
                        }});
    return family;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names)
{
    auto& family = *gauges_.emplace_back(
        std::make_unique<Family<Gauge>>(std::move(label_names), [] { return std::make_unique<Gauge>(); }));
    entries_.push_back({name, std::move(help), "gauge", [&family, name](std::string& out) {
                            family.each([&](const std::vector<std::string>& values, const Gauge& g) {
                                append_sample(out, name, family.label_names(), values, g.value());
                            });
                        }});
    return family;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                       const std::vector<double>& bounds)
{
    auto& family = *histograms_.emplace_back(std::make_unique<Family<Histogram>>(
        std::move(label_names), [&bounds] { return std::make_unique<Histogram>(&bounds); }));
    entries_.push_back({name, std::move(help), "histogram", [&family, &bounds, name](std::string& out) {
                            family.each([&](const std::vector<std::string>& values, const Histogram& h) {
                                const auto snapshot = h.snapshot();
                                for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
                                    out.append(name).append("_bucket");
                                    append_labels(out, family.label_names(), values, "le",
                                                  i < bounds.size() ? bound_text(bounds[i]) : "+Inf");
                                    out.push_back(' ');
                                    append_value(out, static_cast<double>(snapshot.cumulative[i]));
                                    out.push_back('\n');
                                }
                                append_sample(out, name + "_sum", family.label_names(), values, snapshot.sum);
                                append_sample(out, name + "_count", family.label_names(), values,
                                              static_cast<double>(snapshot.cumulative.back()));
                            });
                        }});
    return family;
}

void Registry::collected(std::string name, std::string help, Type type, std::function<std::vector<Sample>()> read)
{
    auto render = [read = std::move(read), name](std::string& out) {
        for (const auto& sample : read()) {
            out.append(name);
            if (!sample.labels.empty()) {
                out.push_back('{');
                for (std::size_t i = 0; i < sample.labels.size(); ++i) {
                    out.append(i == 0 ? "" : ",").append(sample.labels[i].first).append("=\"");
                    append_label_value(out, sample.labels[i].second);
                    out.push_back('"');
                }
                out.push_back('}');
            }
            out.push_back(' ');
            append_value(out, sample.value);
            out.push_back('\n');
        }
    };
    entries_.push_back(
        {std::move(name), std::move(help), type == Type::Counter ? "counter" : "gauge", std::move(render)});
}

std::string Registry::render() const
{
    std::string out;
    out.reserve(std::size_t{16} * 1024);
    for (const auto& entry : entries_) {
        out.append("# HELP ").append(entry.name).push_back(' ');
        for (const char c : entry.help) { // help text escapes backslash and newline
            if (c == '\\') {
                out.append("\\\\");
            } else if (c == '\n') {
                out.append("\\n");
            } else {
                out.push_back(c);
            }
        }
        out.append("\n# TYPE ").append(entry.name).push_back(' ');
        out.append(entry.type).push_back('\n');
        entry.render(out);
    }
    return out;
}

void append_label_value(std::string& out, std::string_view value)
{
    for (const char c : value) {
        if (c == '\\') {
            out.append("\\\\");
        } else if (c == '"') {
            out.append("\\\"");
        } else if (c == '\n') {
            out.append("\\n");
        } else {
            out.push_back(c);
        }
    }
}

void append_value(std::string& out, double value)
{
    if (std::isnan(value)) {
        out.append("NaN");
    } else if (std::isinf(value)) {
        out.append(value > 0 ? "+Inf" : "-Inf");
    } else {
        char buffer[32];
        const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
        out.append(buffer, ec == std::errc() ? end : buffer);
    }
}

} // namespace jobsessions::metrics
