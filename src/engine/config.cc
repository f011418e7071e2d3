// Configuration checks.
#include "auditlog/config.h"

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

}  // namespace auditlog
