// `auditlog export DIR --customer ID [--since T] [--until T] [--output FILE]`: the GDPR
// data-access report: every record concerning a customer, with a verification statement
// that lets anyone check the export against the log later; see docs/CLI.md.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "auditlog/gdpr_export.h"
#include "auditlog/query.h"
#include "cli_util.h"
#include "commands.h"

namespace auditlog::cli {
namespace {

struct ExportArgs {
  std::string dir, customer, since, until, output;
};

int RunExport(const ExportArgs& args) {
  if (args.customer.empty()) {
    PrintError("export", "--customer: must not be empty");
    return kExitUsage;
  }
  GdprExportOptions options;
  options.customer_id = args.customer;
  if (!args.since.empty()) {
    options.since = ParseTimeArg("export", "--since", args.since, TimeBound::kStart);
    if (!options.since) return kExitUsage;
  }
  if (!args.until.empty()) {
    options.until = ParseTimeArg("export", "--until", args.until, TimeBound::kEnd);
    if (!options.until) return kExitUsage;
  }
  if (options.since && options.until && *options.since > *options.until) {
    PrintError("export", "--since: is after --until");
    return kExitUsage;
  }
  auto report = BuildGdprExport(args.dir, options);
  if (!report.ok()) {
    PrintError("export", report.status().ToString());
    return kExitUsage;
  }
  // The document is ASCII only: nothing from the log reaches a terminal unescaped.
  const std::string& text = report->document;
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
  if (report->verification.tampered()) return kExitFindings;
  if (report->verification.torn_tail()) return kExitTornTail;
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
