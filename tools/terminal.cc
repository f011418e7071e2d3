// Terminal helpers; see terminal.h.
#include "terminal.h"

#include <unistd.h>

#include <cstdio>

namespace auditlog::cli {

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
