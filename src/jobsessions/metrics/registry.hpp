// SPDX-License-Identifier: Apache-2.0
// Metrics in Prometheus' text exposition format (version 0.0.4). Debian packages no C++ client library; what the
// server needs is small: counters, gauges and histograms with fixed label names, and values read at scrape time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::metrics {

/// A value that only goes up. Thread-safe, lock-free.
class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
    [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

/// Observations counted into buckets by their upper bounds, with their sum. Thread-safe, lock-free.
class Histogram {
public:
    explicit Histogram(const std::vector<double>* bounds);
    void observe(double value) noexcept;

    struct Snapshot {
        std::vector<std::uint64_t> cumulative; // one per bound, then +Inf
        double sum = 0;
    };
    [[nodiscard]] Snapshot snapshot() const;

private:
    const std::vector<double>* bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; // bounds, then +Inf (not cumulative)
    std::atomic<double> sum_{0};
};

/// Bucket bounds in seconds for request latencies: 0.5 ms to 10 s.
const std::vector<double>& request_seconds_buckets();
/// Bucket bounds in seconds for job durations: 1 s to a day.
const std::vector<double>& job_seconds_buckets();

/// The metrics of one name with each combination of label values met so far. Children are made on first use
/// (under a lock) and live as long as the family: a caller may keep the reference.
template <class Metric> class Family {
public:
    Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
        : label_names_(std::move(label_names))
        , make_(std::move(make))
    {
    }

    /// The child with these label values (as many as the family's label names).
    Metric& with(const std::vector<std::string>& values)
    {
        const std::lock_guard lock(mutex_);
        auto& child = children_[values];
        if (!child) {
            child = make_();
        }
        return *child;
    }

    /// Calls `visit(values, metric)` for every child, in the order of their label values.
    template <class Visit> void each(Visit&& visit) const
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [values, metric] : children_) {
            visit(values, *metric);
        }
    }

    [[nodiscard]] const std::vector<std::string>& label_names() const noexcept { return label_names_; }

private:
    std::vector<std::string> label_names_;
    std::function<std::unique_ptr<Metric>()> make_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

/// One sample of a metric read at scrape time.
struct Sample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
};

/// Every metric of the server, rendered in registration order. Register at start-up, before serving; then
/// thread-safe.
class Registry {
public:
    Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
    Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
    Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                 const std::vector<double>& bounds);

    enum class Type : std::uint8_t { Counter, Gauge };
    /// A metric whose samples `read` gives at each scrape (what the server or the store already keeps).
    void collected(std::string name, std::string help, Type type, std::function<std::vector<Sample>()> read);

    /// The whole exposition, `# HELP` and `# TYPE` before each metric's samples.
    [[nodiscard]] std::string render() const;

    /// The Content-Type of render()'s text.
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    struct Entry {
        std::string name;
        std::string help;
        std::string type;
        std::function<void(std::string&)> render;
    };
    std::vector<Entry> entries_;
    std::vector<std::unique_ptr<Family<Counter>>> counters_;
    std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
    std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

/// Appends a label value escaped as the text format wants it (backslash, double quote and newline).
void append_label_value(std::string& out, std::string_view value);
/// Appends a sample value: integers without a fraction, +Inf/-Inf/NaN by their names.
void append_value(std::string& out, double value);

} // namespace jobsessions::metrics
