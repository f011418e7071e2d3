// `auditlog export DIR --customer ID [--since T] [--until T] [--output FILE]`: the GDPR
// data-access report: every record concerning a customer, with a verification statement
// that lets anyone check the export against the log later; see docs/CLI.md.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "cli_util.h"
#include "commands.h"

namespace auditlog::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct ExportArgs {
  std::string dir, customer, since, until, output;
};

ojson OrNull(const std::optional<std::uint64_t>& v) { return v ? ojson(*v) : ojson(nullptr); }
ojson OrNull(const std::string& s) { return s.empty() ? ojson(nullptr) : ojson(s); }

// The export's statement must be exactly true: every exported record lies in the verified
// run. A time range is verified as one contiguous run of seqs, but after a clock step back
// records of the range can lie outside it (timestamps only increase within a segment): then
// the whole log is verified instead (`*report` replaced, `*whole_log` set). `*unverified`:
// the exported records outside what `*report` verified. False (reported) on an error.
bool VerifyCovering(const std::string& dir, const ojson& records, VerifyReport* report,
                    bool* whole_log, std::uint64_t* unverified) {
  const auto uncovered = [&](const VerifyReport& v) {
    std::uint64_t n = 0;
    for (const ojson& rec : records) {
      const std::uint64_t seq = rec["seq"].get<std::uint64_t>();
      n += !v.first_seq || !v.last_seq || seq < *v.first_seq || seq > *v.last_seq;
    }
    return n;
  };
  *unverified = uncovered(*report);
  if (*unverified == 0 || *whole_log) return true;
  auto full = Verify(dir);
  if (!full.ok()) {
    PrintError("export", full.status().ToString());
    return false;
  }
  *report = std::move(*full);
  *whole_log = true;
  *unverified = uncovered(*report);
  return true;
}

int RunExport(const ExportArgs& args) {
  if (args.customer.empty()) {
    PrintError("export", "--customer: must not be empty");
    return kExitUsage;
  }
  Query q;
  q.resource_id = args.customer;  // pre-filter; the customer_id member is checked below
  VerifyOptions vopts;
  if (!args.since.empty()) {
    q.start_time = ParseTimeArg("export", "--since", args.since, TimeBound::kStart);
    if (!q.start_time) return kExitUsage;
    vopts.since = q.start_time;
  }
  if (!args.until.empty()) {
    q.end_time = ParseTimeArg("export", "--until", args.until, TimeBound::kEnd);
    if (!q.end_time) return kExitUsage;
    vopts.until = q.end_time;
  }
  if (q.start_time && q.end_time && *q.start_time > *q.end_time) {
    PrintError("export", "--since: is after --until");
    return kExitUsage;
  }

  // 1. Verify the range the export covers (anchored on the record before it).
  auto report = Verify(args.dir, vopts);
  if (!report.ok()) {
    PrintError("export", report.status().ToString());
    return kExitUsage;
  }

  // 2. Collect the customer's records.
  auto cursor = QueryCursor::Open(args.dir, q);
  if (!cursor.ok()) {
    PrintError("export", cursor.status().ToString());
    return kExitUsage;
  }
  ojson records = ojson::array();
  std::map<std::string, std::uint64_t> by_type;
  std::set<std::string> models;
  std::uint64_t inference = 0, tokens = 0, exports = 0, deletions = 0, requests = 0;
  Record r;
  for (;;) {
    auto more = (*cursor)->Next(&r);
    if (!more.ok()) {
      PrintError("export", more.status().ToString());
      return kExitUsage;
    }
    if (!*more) break;
    ojson event = ojson::parse(r.event_json, nullptr, false);
    if (!event.is_object()) continue;
    auto cid = event.find("customer_id");
    if (cid == event.end() || !cid->is_string() || cid->get<std::string>() != args.customer)
      continue;
    ++by_type[r.event_type];
    if (r.event_type == "inference_executed") {
      ++inference;
      if (auto t = event.find("tokens_processed"); t != event.end() && t->is_number_unsigned()) {
        tokens += t->get<std::uint64_t>();
      }
    }
    if (auto m = event.find("model_ref"); m != event.end() && m->is_string()) {
      models.insert(m->get<std::string>());
    }
    if (r.event_type == "gdpr_data_export") ++exports;
    if (r.event_type == "data_deleted" || r.event_type == "gdpr_right_to_erasure") ++deletions;
    if (r.event_type == "gdpr_data_access_request") ++requests;
    records.push_back(ojson{{"seq", r.seq},
                            {"audit_id", r.audit_id},
                            {"timestamp", r.timestamp},
                            {"service_id", r.service_id},
                            {"critical", r.critical},
                            {"event_type", r.event_type},
                            {"event", std::move(event)},
                            {"hash", r.hash},
                            {"segment", r.segment},
                            {"line_no", r.line_no},
                            {"line", r.line}});
  }

  bool whole_log = !vopts.since && !vopts.until;
  std::uint64_t unverified = 0;
  if (!VerifyCovering(args.dir, records, &*report, &whole_log, &unverified)) return kExitUsage;

  ojson findings = ojson::array();
  for (const Finding& f : report->findings) {
    findings.push_back({{"kind", FindingKindName(f.kind)},
                        {"file", f.file},
                        {"line", f.line},
                        {"seq", OrNull(f.seq)},
                        {"reason", f.reason}});
  }
  ojson out;
  out["report"] = "gdpr_data_access";
  out["customer_id"] = args.customer;
  out["generated_at"] = FormatTime(std::chrono::system_clock::now());
  out["log"] = args.dir;
  out["range"] = {{"since", q.start_time ? ojson(FormatTime(*q.start_time)) : ojson(nullptr)},
                  {"until", q.end_time ? ojson(FormatTime(*q.end_time)) : ojson(nullptr)}};
  out["summary"] = {{"records", records.size()},    {"by_type", by_type},
                    {"inference_count", inference}, {"tokens_processed", tokens},
                    {"models_accessed", models},    {"export_count", exports},
                    {"deletion_count", deletions},  {"access_requests", requests}};
  out["records"] = std::move(records);
  const std::string how_to_check =
      std::string(
          "Each record's hash is the SHA-256 of its \"line\" without the final 75 bytes "
          "(docs/FORMAT.md). Re-run ") +
      (whole_log ? "`auditlog verify LOG --json`"
                 : "`auditlog verify LOG --since SINCE --until UNTIL --json`") +
      " on the log: it must report the same records_in_range, first_hash, last_hash and "
      "anchor_hash, and every exported hash must appear in that range.";
  out["verification"] = {
      // True only when what was verified is intact and holds every exported record.
      {"chain_verified", report->intact() && unverified == 0},
      {"scope", whole_log ? "log" : "range"},
      {"unverified_records", unverified},
      {"tampered", report->tampered()},
      {"torn_tail", report->torn_tail()},
      {"records_in_range", report->records},
      {"first_seq", OrNull(report->first_seq)},
      {"last_seq", OrNull(report->last_seq)},
      {"first_timestamp", OrNull(report->first_timestamp)},
      {"last_timestamp", OrNull(report->last_timestamp)},
      {"first_hash", OrNull(report->first_hash)},
      {"last_hash", OrNull(report->last_hash)},
      {"anchor_seq", OrNull(report->anchor_seq)},
      {"anchor_hash", OrNull(report->anchor_hash)},
      {"findings", std::move(findings)},
      {"how_to_check", how_to_check}};

  // ensure_ascii: nothing from the log reaches a terminal unescaped.
  const std::string text = out.dump(2, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
  if (args.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) {
      PrintError("export", "--output: cannot write the file");
      return kExitUsage;
    }
  }
  if (report->tampered()) return kExitFindings;
  if (report->torn_tail()) return kExitTornTail;
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "GDPR data-access report: every record about a customer, with a verification "
      "statement (JSON)");
  cmd->add_option("dir", args->dir, "Log directory")->required();
  cmd->add_option("--customer", args->customer, "The customer_id to report on")->required();
  cmd->add_option("--since", args->since, "From this time on (RFC 3339 or YYYY-MM-DD)");
  cmd->add_option("--until", args->until, "Up to this time, inclusive (a date: the whole day)");
  cmd->add_option("-o,--output", args->output, "Write the report to FILE instead of stdout");
  cmd->callback([args, exit_code] { *exit_code = RunExport(*args); });
}

}  // namespace auditlog::cli
