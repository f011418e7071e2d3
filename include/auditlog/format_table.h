// Showing records to a person: terminal-safe text, terminal-safe record lines, and the
// fixed-width table `auditlog query` and `auditlog tail` print with --format table.
//
// Log content is hostile: a record may hold (as JSON escapes, or raw in a line that is not a
// valid record) ANSI escape sequences, C0/C1 controls, bidirectional controls, line
// separators or invalid UTF-8 meant to rewrite what an auditor's terminal shows. Every
// function here returns text with none of them raw: they are replaced by visible markers
// ("<U+001B>", U+FFFD) or, in JSON text, written as \uXXXX escapes. The functions never
// fail and never throw on any input (malformed event JSON gives empty actor and summary
// columns). Pure functions: thread-safe, no state kept between calls.
//
// Example:
//   std::fputs(auditlog::FormatTableHeader().c_str(), stdout);
//   for (...each Record r...) std::fputs(auditlog::FormatTableRow(r).c_str(), stdout);
#pragma once

#include <string>
#include <string_view>

#include "auditlog/export.h"
#include "auditlog/query.h"

namespace auditlog {

// `s` with every control character, ANSI escape, bidirectional control, line or paragraph
// separator, byte-order mark and invalid UTF-8 byte replaced by a visible marker: a
// forbidden code point by "<U+XXXX>" (ESC -> "<U+001B>"), an invalid byte by U+FFFD. Text
// that needs no change is returned as it is.
AUDITLOG_EXPORT std::string TerminalSafeText(std::string_view s);

// A JSON text (a record line) made safe for a terminal while staying the same JSON value:
// every code point a terminal could act on (C0 and C1 controls, DEL, bidi controls,
// U+2028/9, U+FEFF) is written as a \uXXXX escape, and a byte that is not UTF-8 as \ufffd.
// Lines written by auditlog never contain one, so they come back byte for byte.
AUDITLOG_EXPORT std::string TerminalSafeJsonLine(std::string_view line);

// The table's header line, ending in '\n':
//   SEQ        TIME                        TYPE                       CRIT ACTOR SUMMARY
AUDITLOG_EXPORT std::string FormatTableHeader();

// One record as a table row, ending in '\n'. Columns have fixed widths (in code points) so
// rows can be printed as they stream: seq (10), timestamp (27), event type (26), "yes" for
// a critical record (4), who the event is about (20: actor.user_id, attempted_user,
// requester, subject or customer_id, the first present), and a "key=value ..." summary of
// the event's other members (at most 100). A longer value is cut with "…"; every string
// taken from the record goes through TerminalSafeText first.
AUDITLOG_EXPORT std::string FormatTableRow(const Record& record);

}  // namespace auditlog
