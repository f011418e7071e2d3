// Helpers shared by the reading subcommands (query, tail, stats, export, verify): argument
// parsing with one-line errors, and printing records as JSON Lines or as an aligned table
// (the library's terminal-safe renderings, auditlog/format_table.h). Not thread-safe (they
// print to stdout).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "auditlog/query.h"
#include "auditlog/status.h"

namespace auditlog::cli {

// Prints "auditlog CMD: MESSAGE" (terminal-safe) on one line of stderr.
void PrintError(std::string_view command, std::string_view message);

// Parses a --since / --until style argument (RFC 3339 or YYYY-MM-DD). On failure prints
// "auditlog CMD: ARG: expected ..." and returns nullopt.
std::optional<Time> ParseTimeArg(std::string_view command, std::string_view arg_name,
                                 const std::string& text, TimeBound bound);

enum class OutputFormat { kJsonl, kTable };

// Prints records in `format`: the record line made terminal-safe (TerminalSafeJsonLine), or
// a table row (FormatTableRow) after a header.
class RecordPrinter {
 public:
  explicit RecordPrinter(OutputFormat format) : format_(format) {}
  void Print(const Record& r);
  void Flush() { std::fflush(stdout); }

 private:
  OutputFormat format_;
  bool header_done_ = false;
};

}  // namespace auditlog::cli
