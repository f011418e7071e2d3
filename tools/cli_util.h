// Helpers shared by the reading subcommands (query, tail, stats, export, verify): argument
// parsing with one-line errors, and terminal-safe printing of records as JSON Lines or as an
// aligned table. Not thread-safe (they print to stdout).
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

// The record line made safe for a terminal while staying the same JSON value: any code
// point a terminal could act on (C1 controls, bidi controls, U+2028/9, U+FEFF; raw control
// bytes and invalid UTF-8 cannot be in a parsed record) is written as a \uXXXX escape.
// Lines written by auditlog never contain one, so they are printed byte for byte.
std::string SafeJsonLine(std::string_view line);

enum class OutputFormat { kJsonl, kTable };

// Prints records in `format`. The table has fixed column widths so it can stream; every
// string taken from the log goes through SafeText.
class RecordPrinter {
 public:
  explicit RecordPrinter(OutputFormat format) : format_(format) {}
  void Print(const Record& r);
  void Flush() { std::fflush(stdout); }

 private:
  OutputFormat format_;
  bool header_done_ = false;
};

// Who an event is about, for display: actor.user_id, attempted_user, requester, subject or
// customer_id (the first present). Raw (not yet terminal-safe).
std::string EventActor(std::string_view event_json);
// A one-line "key=value ..." summary of the event's other members. Raw.
std::string EventSummary(std::string_view event_json);

// Parses one record line into `*out` (no hash check). False for a malformed line.
bool ParseRecordLine(std::string_view line, Record* out);

}  // namespace auditlog::cli
