// Terminal-safe text; see terminal.h.
#include "terminal.h"

#include <unistd.h>

#include <cstdio>
#include <limits>

#include "format/sanitize.h"

namespace auditlog::cli {

std::string SafeText(std::string_view s) {
  std::string out;
  if (internal::IsAlreadySafe(s, std::numeric_limits<std::size_t>::max())) return std::string(s);
  internal::SanitizeString(s, std::numeric_limits<std::size_t>::max(), &out);
  return out;
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buf;
}

}  // namespace auditlog::cli
