// Shared helpers of the reading subcommands; see cli_util.h.
#include "cli_util.h"

#include "auditlog/format_table.h"
#include "terminal.h"

namespace auditlog::cli {

void PrintError(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "auditlog %s: %s\n", SafeText(command).c_str(), SafeText(message).c_str());
}

std::optional<Time> ParseTimeArg(std::string_view command, std::string_view arg_name,
                                 const std::string& text, TimeBound bound) {
  auto t = ParseTime(text, bound);
  if (!t.ok()) {
    PrintError(command, std::string(arg_name) + ": " + t.status().message());
    return std::nullopt;
  }
  return *t;
}

void RecordPrinter::Print(const Record& r) {
  std::string text;
  if (format_ == OutputFormat::kJsonl) {
    text = TerminalSafeJsonLine(r.line);
    text += '\n';
  } else {
    if (!header_done_) {
      text = FormatTableHeader();
      header_done_ = true;
    }
    text += FormatTableRow(r);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace auditlog::cli
