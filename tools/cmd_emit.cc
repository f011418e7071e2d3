// `auditlog emit --socket PATH [--json EVENT] [--durable] [--critical]`: sends one event to
// auditlogd, like logger(1) for syslog (docs/CLI.md). The event JSON comes from --json or,
// without it, from standard input (it may span lines). Prints the seq; exit 0 when logged,
// 1 when the daemon refused the event (its error is printed), 2 for usage and I/O errors.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "auditlog/limits.h"
#include "cli_util.h"
#include "client.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct EmitArgs {
  std::string socket, json;
  bool json_given = false, durable = false, critical = false;
};

int RunEmit(const EmitArgs& args) {
  std::string event = args.json;
  if (!args.json_given) {
    // Read at most one byte beyond the limit: enough to refuse a longer event.
    char buf[65536];
    std::size_t n;
    while (event.size() <= kMaxEventJsonBytes && (n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
      event.append(buf, n);
    }
    if (std::ferror(stdin)) {
      PrintError("emit", "cannot read the event from standard input");
      return kExitUsage;
    }
  }
  if (event.find_first_not_of(" \t\r\n") == std::string::npos) {
    PrintError("emit", "no event: give --json '{\"event_type\":...}' or the JSON on stdin");
    return kExitUsage;
  }
  if (event.size() > kMaxEventJsonBytes) {
    PrintError("emit", "the event is longer than " + std::to_string(kMaxEventJsonBytes) + " bytes");
    return kExitUsage;
  }
  auto client = auditlogd::Client::Connect(args.socket);
  if (!client.ok()) {
    PrintError("emit", client.status().ToString());
    return kExitUsage;
  }
  auto reply = client->Emit(event, args.durable, args.critical);
  if (!reply.ok()) {
    PrintError("emit", reply.status().ToString());
    // The daemon's own answer is a refusal of this event; anything else is I/O.
    return reply.status().code() == StatusCode::kIOError ? kExitUsage : kExitFindings;
  }
  std::printf("%llu\n", static_cast<unsigned long long>(reply->seq));
  return kExitOk;
}

}  // namespace

void AddEmitCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<EmitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "emit", "Send one event to auditlogd (prints its seq; exit 1 if refused, 2 on errors)");
  cmd->add_option("--socket", args->socket, "auditlogd's socket")->required();
  cmd->add_option("--json", args->json, "the event, e.g. {\"event_type\":\"backup_done\"}")
      ->each([args](const std::string&) { args->json_given = true; });
  cmd->add_flag("--durable", args->durable, "wait until the event is fsync'ed");
  cmd->add_flag("--critical", args->critical, "mark a custom event critical");
  cmd->callback([args, exit_code] { *exit_code = RunEmit(*args); });
}

}  // namespace auditlog::cli
