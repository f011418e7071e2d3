// Terminal safety: the last line of defence against log injection. Everything a command
// prints that came from log content goes through SafeText first.
#pragma once

#include <string>
#include <string_view>

#include "auditlog/format_table.h"

namespace auditlog::cli {

// `s` with every control character, ANSI escape, bidirectional control, line separator and
// invalid UTF-8 byte replaced by a visible marker ("<U+001B>", U+FFFD): the library's
// TerminalSafeText.
inline std::string SafeText(std::string_view s) { return TerminalSafeText(s); }

// True when stderr is a terminal (progress bars are drawn only then).
bool StderrIsTerminal();

// "1.5 MB", "930 kB", "12 B".
std::string HumanBytes(double bytes);

}  // namespace auditlog::cli
