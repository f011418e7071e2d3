// `auditlog retention DIR [--apply] [--archive-after-days N] [--delete-after-days N]
// [--min-retention-days N] [--now T]`: shows, and with --apply performs, what the retention
// policy asks for: archive (zstd) old closed segments, delete expired ones. Every action
// taken is itself recorded in the log. Planning and applying are the library's
// (PlanRetention, ApplyRetentionToLog: the code a running Logger applies at open and at each
// rotation); this command is for logs no Logger holds (it takes the directory lock).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "auditlog/config.h"
#include "auditlog/query.h"
#include "cli_util.h"
#include "commands.h"
#include "format/manifest.h"
#include "storage/record_writer.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct RetentionArgs {
  std::string dir;
  bool apply = false;
  RetentionPolicy policy;
  std::string now;
};

int RunRetention(const RetentionArgs& args) {
  Env* env = Env::Default();
  std::int64_t now = env->NowMicros();
  if (!args.now.empty()) {
    auto t = ParseTimeArg("retention", "--now", args.now, TimeBound::kStart);
    if (!t) return kExitUsage;
    now = TimeToMicros(*t);
  }
  auto manifest = internal::LoadManifest(env, args.dir);
  if (!manifest.ok()) {
    PrintError("retention", manifest.status().ToString());
    return kExitUsage;
  }
  if (!manifest->has_value()) {
    PrintError("retention", args.dir + ": no manifest.json (not an auditlog log directory?)");
    return kExitUsage;
  }
  // The library's plan, from the segments' own records (the same one --apply carries out).
  auto plan = internal::PlanRetention(env, args.dir, **manifest, args.policy, now);
  if (!plan.ok()) {
    PrintError("retention", plan.status().ToString());
    return kExitUsage;
  }
  std::printf("policy: archive after %u days, delete after %u days, keep at least %u days\n",
              args.policy.archive_after_days, args.policy.delete_after_days,
              args.policy.min_retention_days);
  if (plan->empty()) {
    std::printf("nothing to do\n");
    return kExitOk;
  }
  for (const auto& a : *plan) {
    std::printf("%s %s (last record %llu days old)\n",
                a.kind == internal::RetentionAction::kArchive ? "archive" : "delete ",
                SafeText(a.segment).c_str(), static_cast<unsigned long long>(a.age_days));
  }
  if (!args.apply) {
    std::printf("(dry run: add --apply to do it)\n");
    return kExitOk;
  }
  auto done = internal::ApplyRetentionToLog(env, args.dir, args.policy, now);
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
