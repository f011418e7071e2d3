// The checks Logger::Open makes on a Config before it opens anything. Internal; stateless and
// thread-safe.
#pragma once

#include "auditlog/config.h"
#include "auditlog/status.h"

namespace auditlog::internal {

// kInvalidArgument naming the first bad field (service_id, mode.dir, flush_mode, queue
// capacities, block_timeout, max_field_bytes).
Status ValidateConfig(const Config& config);

}  // namespace auditlog::internal
