// auditlog::Version(): the library's own version, compiled in (see <auditlog/version.h>).
#include "auditlog/version.h"

namespace auditlog {

std::string_view Version() { return AUDITLOG_VERSION_STRING; }

}  // namespace auditlog
