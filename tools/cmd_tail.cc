// `auditlog tail DIR [-n N] [-f]`: the last records of a log, and with -f the new ones as
// they are written, across rotations to new segment files; see docs/CLI.md.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "auditlog/tail.h"
#include "cli_util.h"
#include "commands.h"

namespace auditlog::cli {
namespace {

struct TailArgs {
  std::string dir;
  std::uint64_t lines = 10;
  bool follow = false;
  std::string format = "jsonl";
  double max_seconds = 0;        // 0: until interrupted
  std::uint64_t exit_after = 0;  // 0: no limit
  int poll_ms = 200;
};

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void OnSigint(int) { g_interrupted = 1; }

class Tailer {
 public:
  Tailer(const TailArgs& args, TailCursor* cursor)
      : args_(args),
        cursor_(cursor),
        printer_(args.format == "table" ? OutputFormat::kTable : OutputFormat::kJsonl) {}

  // Prints what the cursor has up to the end of the log as now listed (the first time: the
  // last args_.lines records). `*progressed`: something was printed.
  Status PrintAvailable(bool* progressed = nullptr) {
    Record r;
    while (!Done()) {
      AUDITLOG_ASSIGN_OR_RETURN(const bool more, cursor_->Next(&r));
      if (!more) break;
      printer_.Print(r);
      ++printed_;
      if (progressed != nullptr) *progressed = true;
    }
    printer_.Flush();
    return Status::Ok();
  }

  // Polls for new records until interrupted or a --max-seconds / --exit-after limit.
  Status Follow() {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(args_.max_seconds));
    while (!Done()) {
      if (args_.max_seconds > 0 && std::chrono::steady_clock::now() >= deadline) break;
      bool progressed = false;
      AUDITLOG_RETURN_IF_ERROR(PrintAvailable(&progressed));
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(args_.poll_ms));
    }
    printer_.Flush();
    return Status::Ok();
  }

 private:
  bool Done() const {
    return g_interrupted != 0 || (args_.exit_after > 0 && printed_ >= args_.exit_after);
  }

  const TailArgs& args_;
  TailCursor* cursor_;
  RecordPrinter printer_;
  std::uint64_t printed_ = 0;
};

int RunTail(const TailArgs& args) {
  auto cursor = TailCursor::Open(args.dir, {.last_n = args.lines});
  if (!cursor.ok()) {
    PrintError("tail", cursor.status().ToString());
    return kExitUsage;
  }
  // Before the first line is printed: a caller that has seen output and then interrupts
  // must get the clean stop, not the default action of the signal.
  if (args.follow) {
    std::signal(SIGINT, OnSigint);
    std::signal(SIGTERM, OnSigint);
  }
  Tailer tailer(args, cursor->get());
  Status s = tailer.PrintAvailable();
  if (s.ok() && args.follow) s = tailer.Follow();
  if (!s.ok()) {
    PrintError("tail", s.ToString());
    return kExitUsage;
  }
  if ((*cursor)->malformed_lines() > 0) {
    PrintError("tail", "warning: skipped " + std::to_string((*cursor)->malformed_lines()) +
                           " malformed line(s); run `auditlog verify` on this log");
  }
  return kExitOk;
}

}  // namespace

void AddTailCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TailArgs>();
  CLI::App* cmd = app.add_subcommand("tail", "Print the last records; with -f, follow new ones");
  cmd->add_option("dir", args->dir, "Log directory")->required();
  cmd->add_option("-n,--lines", args->lines, "How many of the last records (default 10)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-f,--follow", args->follow,
                "Keep printing new records as they are written, across segment rotations, "
                "until interrupted (Ctrl-C)");
  cmd->add_option("--format", args->format, "jsonl (default) or table")
      ->check(CLI::IsMember({"jsonl", "table"}));
  cmd->add_option("--max-seconds", args->max_seconds, "With -f: stop after S seconds")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--exit-after", args->exit_after,
                  "With -f: stop once N records have been printed in total")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--poll-ms", args->poll_ms, "With -f: polling interval (default 200)")
      ->check(CLI::Range(1, 60000));
  cmd->callback([args, exit_code] { *exit_code = RunTail(*args); });
}

}  // namespace auditlog::cli
