// Renders a Stats snapshot in the Prometheus text exposition format (version 0.0.4).
// Stateless and thread-safe.
#pragma once

#include <string>

#include "auditlog/stats.h"

namespace auditlog::internal {

// Every metric is prefixed "auditlog_"; counters end in "_total", latencies are histograms
// in seconds ("_bucket{le=...}", "_sum", "_count").
std::string RenderMetricsText(const Stats& stats);

}  // namespace auditlog::internal
