// GDPR data-access export: every record of a log that concerns one customer (its event's
// top-level "customer_id" member), with a summary and a verification statement that lets
// anyone check the export against the log later. `auditlog export` prints this document;
// docs/CLI.md describes its members.
//
// The statement is exactly true: the range the export covers is verified (anchored on the
// record before it, see VerifyOptions), and when an exported record lies outside the run
// of records that was verified (a clock step back), the whole log is verified instead
// (scope "log"). chain_verified is true only when what was verified is intact and holds
// every exported record; unverified_records counts those outside it (a record appended
// while the export ran may be exported but not verified).
//
// Errors are a Status, never an exception: kInvalidArgument for an empty customer_id or
// since after until; kNotFound, kIOError when the log cannot be read. Findings of the
// verification are not errors: they are part of the document (and of `verification`).
// Thread-safety: BuildGdprExport shares no state between calls and may run while a Logger
// appends to the same log. Memory grows with the size of the document (the customer's
// records), never with the rest of the log; time is linear in the log's size.
//
// Example:
//   auto report = auditlog::BuildGdprExport("/var/lib/audit/queen",
//                                           {.customer_id = "cust-42"});
//   if (!report.ok()) return report.status();
//   std::fwrite(report->document.data(), 1, report->document.size(), stdout);
//   if (!report->chain_verified) ...;  // tampered, torn, or records outside the verified run
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "auditlog/env.h"
#include "auditlog/events.h"  // Time
#include "auditlog/export.h"
#include "auditlog/status.h"
#include "auditlog/verify.h"

namespace auditlog {

struct GdprExportOptions {
  std::string customer_id{};  // required
  // Inclusive bounds on the records' timestamps; either may be left open.
  std::optional<Time> since{}, until{};
  Env* env = nullptr;  // nullptr: Env::Default(); must outlive the call. Its clock stamps
                       // "generated_at".
};

struct GdprExport {
  // The report: a JSON object, indented by two spaces, ending in '\n'. ASCII only (every
  // other character is a \u escape) so nothing from the log reaches a terminal raw; a byte
  // that is not UTF-8 (in the directory name) becomes \ufffd. Members in order: report
  // ("gdpr_data_access"), customer_id, generated_at, log, range {since, until}, summary
  // {records, by_type, inference_count, tokens_processed, models_accessed, export_count,
  // deletion_count, access_requests}, records [{seq, audit_id, timestamp, service_id,
  // critical, event_type, event, hash, segment, line_no, line}], verification
  // {chain_verified, scope, unverified_records, tampered, torn_tail, records_in_range,
  // first_seq, last_seq, first_timestamp, last_timestamp, first_hash, last_hash,
  // anchor_seq, anchor_hash, findings, how_to_check}.
  std::string document{};
  std::uint64_t records = 0;  // records exported
  // The statement's facts, as in the document.
  bool chain_verified = false;
  bool whole_log = false;  // scope "log" (else "range")
  std::uint64_t unverified_records = 0;
  VerifyReport verification{};  // what was verified: tampered(), torn_tail(), findings
};

// Builds the export of `options.customer_id`'s records in the log in `dir`.
AUDITLOG_EXPORT Result<GdprExport> BuildGdprExport(const std::filesystem::path& dir,
                                                   const GdprExportOptions& options);

}  // namespace auditlog
