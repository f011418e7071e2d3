// `auditlog verify DIR [--json]`: checks every record of a log; see docs/CLI.md.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "auditlog/verify.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct VerifyArgs {
  std::string dir;
  bool json = false;
};

int ExitCodeFor(const VerifyReport& r) {
  if (r.tampered()) return kExitFindings;
  if (r.torn_tail()) return kExitTornTail;
  return kExitOk;
}

void PrintJson(const std::string& dir, const VerifyReport& r) {
  nlohmann::json j;
  j["dir"] = dir;
  j["intact"] = r.intact();
  j["tampered"] = r.tampered();
  j["torn_tail"] = r.torn_tail();
  j["segments"] = r.segments;
  j["records"] = r.records;
  j["critical_records"] = r.critical_records;
  j["bytes"] = r.bytes;
  j["first_seq"] = r.first_seq ? nlohmann::json(*r.first_seq) : nlohmann::json(nullptr);
  j["last_seq"] = r.last_seq ? nlohmann::json(*r.last_seq) : nlohmann::json(nullptr);
  j["first_timestamp"] = r.first_timestamp;
  j["last_timestamp"] = r.last_timestamp;
  j["last_hash"] = r.last_hash;
  j["findings"] = nlohmann::json::array();
  for (const Finding& f : r.findings) {
    j["findings"].push_back({{"kind", FindingKindName(f.kind)},
                             {"file", f.file},
                             {"line", f.line},
                             {"offset", f.offset},
                             {"seq", f.seq ? nlohmann::json(*f.seq) : nlohmann::json(nullptr)},
                             {"reason", f.reason}});
  }
  // dump() escapes control characters; error_handler::replace keeps invalid UTF-8 visible.
  std::cout << j.dump(2, ' ', true, nlohmann::json::error_handler_t::replace) << "\n";
}

void PrintText(const std::string& dir, const VerifyReport& r) {
  std::printf("log:       %s\n", SafeText(dir).c_str());
  std::printf("segments:  %llu\n", static_cast<unsigned long long>(r.segments));
  std::printf("records:   %llu (%llu critical), %s\n", static_cast<unsigned long long>(r.records),
              static_cast<unsigned long long>(r.critical_records),
              HumanBytes(static_cast<double>(r.bytes)).c_str());
  if (r.first_seq) {
    std::printf("seq:       %llu .. %llu\n", static_cast<unsigned long long>(*r.first_seq),
                static_cast<unsigned long long>(*r.last_seq));
    std::printf("time:      %s .. %s\n", SafeText(r.first_timestamp).c_str(),
                SafeText(r.last_timestamp).c_str());
    std::printf("last hash: %s\n", r.last_hash.c_str());
  }
  if (!r.findings.empty()) {
    std::printf("\nfindings (%zu):\n", r.findings.size());
    for (const Finding& f : r.findings) {
      std::string where = SafeText(f.file);
      if (f.line) where += ":" + std::to_string(f.line);
      std::string at = "offset " + std::to_string(f.offset);
      if (f.seq) at += ", seq " + std::to_string(*f.seq);
      std::printf("  %s (%s): %s: %s\n", where.c_str(), at.c_str(),
                  std::string(FindingKindName(f.kind)).c_str(), SafeText(f.reason).c_str());
    }
  }
  const char* verdict = r.intact()      ? "INTACT: every record and chain link verified"
                        : r.tampered()  ? "FAILED: the log was altered or damaged"
                                        : "INTACT except a torn tail (an interrupted write; "
                                          "reopening the log quarantines it)";
  std::printf("\n%s\n", verdict);
}

}  // namespace

void AddVerifyCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Check every record's hash, the chain, seq contiguity and the record format");
  cmd->add_option("dir", args->dir, "Log directory")->required();
  cmd->add_flag("--json", args->json, "Print a machine-readable report");
  cmd->callback([args, exit_code] {
    auto report = Verify(args->dir);
    if (!report.ok()) {
      std::fprintf(stderr, "auditlog verify: %s\n", SafeText(report.status().ToString()).c_str());
      *exit_code = kExitUsage;
      return;
    }
    if (args->json) {
      PrintJson(args->dir, *report);
    } else {
      PrintText(args->dir, *report);
    }
    *exit_code = ExitCodeFor(*report);
  });
}

}  // namespace auditlog::cli
