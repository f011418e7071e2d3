// `auditlog query DIR [filters] [--format jsonl|table]`: the records that match, in seq
// order, streamed; see docs/CLI.md.
#include <memory>
#include <string>
#include <vector>

#include "auditlog/query.h"
#include "cli_util.h"
#include "commands.h"

namespace auditlog::cli {
namespace {

struct QueryArgs {
  std::string dir;
  std::string actor, resource, since, until, format = "jsonl";
  std::vector<std::string> types;
  bool critical = false;
  std::uint64_t limit = 0;
  bool limit_set = false;
};

int RunQuery(const QueryArgs& args) {
  Query q;
  if (!args.actor.empty()) q.actor = args.actor;
  if (!args.resource.empty()) q.resource_id = args.resource;
  q.event_types = args.types;
  q.critical_only = args.critical;
  if (args.limit_set) {
    if (args.limit == 0) {
      PrintError("query", "--limit: must be at least 1");
      return kExitUsage;
    }
    q.limit = args.limit;
  }
  if (!args.since.empty()) {
    q.start_time = ParseTimeArg("query", "--since", args.since, TimeBound::kStart);
    if (!q.start_time) return kExitUsage;
  }
  if (!args.until.empty()) {
    q.end_time = ParseTimeArg("query", "--until", args.until, TimeBound::kEnd);
    if (!q.end_time) return kExitUsage;
  }
  if (q.start_time && q.end_time && *q.start_time > *q.end_time) {
    PrintError("query", "--since: is after --until");
    return kExitUsage;
  }
  auto cursor = QueryCursor::Open(args.dir, q);
  if (!cursor.ok()) {
    PrintError("query", cursor.status().ToString());
    return kExitUsage;
  }
  RecordPrinter printer(args.format == "table" ? OutputFormat::kTable : OutputFormat::kJsonl);
  Record r;
  for (;;) {
    auto more = (*cursor)->Next(&r);
    if (!more.ok()) {
      printer.Flush();
      PrintError("query", more.status().ToString());
      return kExitUsage;
    }
    if (!*more) break;
    printer.Print(r);
  }
  printer.Flush();
  if ((*cursor)->malformed_lines() > 0) {
    PrintError("query", "warning: skipped " + std::to_string((*cursor)->malformed_lines()) +
                            " malformed line(s); run `auditlog verify` on this log");
  }
  return kExitOk;
}

}  // namespace

void AddQueryCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "query", "Print the records that match every given filter, in seq order (JSON Lines)");
  cmd->add_option("dir", args->dir, "Log directory")->required();
  cmd->add_option("--actor", args->actor,
                  "User the event is about: actor.user_id, attempted_user, requester, subject");
  cmd->add_option("--type", args->types, "Event type, e.g. auth_failure (repeatable)");
  cmd->add_option("--resource", args->resource,
                  "Resource id: resource.resource_id or any *_id member (pool_id, task_id, ...)");
  cmd->add_option("--since", args->since, "From this time on (RFC 3339 or YYYY-MM-DD)");
  cmd->add_option("--until", args->until,
                  "Up to this time, inclusive (RFC 3339, or YYYY-MM-DD for the whole day)");
  cmd->add_flag("--critical", args->critical, "Only critical records");
  cmd->add_option("--limit", args->limit, "Stop after N records")
      ->check(CLI::NonNegativeNumber)
      ->each([args](const std::string&) { args->limit_set = true; });
  cmd->add_option("--format", args->format, "jsonl (default: exact record lines) or table")
      ->check(CLI::IsMember({"jsonl", "table"}));
  cmd->callback([args, exit_code] { *exit_code = RunQuery(*args); });
}

}  // namespace auditlog::cli
