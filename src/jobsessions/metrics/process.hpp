// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/metrics/registry.hpp"

namespace jobsessions::metrics {

/// Registers the process metrics every Prometheus client library exposes under these names (`process_` is the
/// convention for them, not this server's prefix): CPU seconds, resident and virtual memory, open and maximum file
/// descriptors, start time. Read from /proc at each scrape.
void register_process_metrics(Registry& registry);

} // namespace jobsessions::metrics
