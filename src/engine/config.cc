// Configuration checks.
#include "auditlog/config.h"

#include "engine/config_check.h"
#include "engine/flush_policy.h"

namespace auditlog {

Status ValidateServiceId(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return Status::InvalidArgument("service_id: must be 1 to 64 bytes long");
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return Status::InvalidArgument("service_id: only A-Z a-z 0-9 . _ - are allowed");
  }
  return Status::Ok();
}

Status internal::ValidateConfig(const Config& c) {
  AUDITLOG_RETURN_IF_ERROR(ValidateServiceId(c.service_id));
  if (const auto* local = std::get_if<LocalMode>(&c.mode); local && local->dir.empty()) {
    return Status::InvalidArgument("mode.dir: empty log directory");
  }
  AUDITLOG_RETURN_IF_ERROR(ValidateFlushMode(c.flush_mode));
  if (c.queue_capacity_events == 0) {
    return Status::InvalidArgument("queue_capacity_events: must be at least 1");
  }
  if (c.queue_capacity_events > (std::size_t{1} << 26)) {
    return Status::InvalidArgument("queue_capacity_events: must be at most 67108864");
  }
  if (c.queue_capacity_bytes == 0) {
    return Status::InvalidArgument("queue_capacity_bytes: must be at least 1");
  }
  if (c.block_timeout.count() < 0) {
    return Status::InvalidArgument("block_timeout: must not be negative");
  }
  if (c.max_field_bytes < 16)
    return Status::InvalidArgument("max_field_bytes: must be at least 16");
  return Status::Ok();
}

}  // namespace auditlog
