// `auditlog retention DIR [--apply] [--archive-after-days N] [--delete-after-days N]
// [--min-retention-days N] [--now T]`: shows, and with --apply performs, what the retention
// policy asks for: archive (zstd) old closed segments, delete expired ones. Every action
// taken is itself recorded in the log. Planning and applying are the library's
// (auditlog/retention.h: the code a running Logger applies at open and at each rotation);
// this command is for logs no Logger holds (ApplyRetention takes the directory lock).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "auditlog/config.h"
#include "auditlog/query.h"
#include "auditlog/retention.h"
#include "cli_util.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct RetentionArgs {
  std::string dir;
  bool apply = false;
  RetentionPolicy policy;
  std::string now;
};

// A log directory without manifest.json is named as such, without a status code.
void PrintStatus(const Status& s) {
  PrintError("retention", s.code() == StatusCode::kNotFound ? s.message() : s.ToString());
}

int RunRetention(const RetentionArgs& args) {
  RetentionOptions options;
  if (!args.now.empty()) {
    options.now = ParseTimeArg("retention", "--now", args.now, TimeBound::kStart);
    if (!options.now) return kExitUsage;
  } else {
    options.now = MicrosToTime(Env::Default()->NowMicros());  // the plan and --apply agree
  }
  // The library's plan, from the segments' own records (the same one --apply carries out).
  auto plan = PlanRetention(args.dir, args.policy, options);
  if (!plan.ok()) {
    PrintStatus(plan.status());
    return kExitUsage;
  }
  std::printf("policy: archive after %u days, delete after %u days, keep at least %u days\n",
              args.policy.archive_after_days, args.policy.delete_after_days,
              args.policy.min_retention_days);
  if (plan->empty()) {
    std::printf("nothing to do\n");
    return kExitOk;
  }
  for (const RetentionStep& step : *plan) {
    std::printf("%s %s (last record %llu days old)\n",
                step.kind == RetentionStep::Kind::kArchive ? "archive" : "delete ",
                SafeText(step.segment).c_str(), static_cast<unsigned long long>(step.age_days));
  }
  if (!args.apply) {
    std::printf("(dry run: add --apply to do it)\n");
    return kExitOk;
  }
  auto done = ApplyRetention(args.dir, args.policy, options);
  if (!done.ok()) {
    PrintError("retention", done.status().ToString());
    return kExitUsage;
  }
  std::printf("done: %zu action(s) applied and recorded in the log\n", *done);
  return kExitOk;
}

}  // namespace

void AddRetentionCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RetentionArgs>();
  CLI::App* cmd = app.add_subcommand(
      "retention",
      "Show (or --apply) the retention policy: archive old segments, delete expired ones");
  cmd->add_option("dir", args->dir, "Log directory")->required();
  cmd->add_flag("--apply", args->apply, "Perform the actions (default: only show them)");
  cmd->add_option("--archive-after-days", args->policy.archive_after_days,
                  "Compress closed segments older than this (default 90)");
  cmd->add_option("--delete-after-days", args->policy.delete_after_days,
                  "Delete segments older than this (default 2555)");
  cmd->add_option("--min-retention-days", args->policy.min_retention_days,
                  "Never delete segments younger than this (default 2555)");
  cmd->add_option("--now", args->now, "Evaluate ages at this time (RFC 3339 or YYYY-MM-DD)");
  cmd->callback([args, exit_code] { *exit_code = RunRetention(*args); });
}

}  // namespace auditlog::cli
