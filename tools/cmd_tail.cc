// `auditlog tail DIR [-n N] [-f]`: the last records of a log, and with -f the new ones as
// they are written, across rotations to new segment files; see docs/CLI.md.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/env.h"
#include "cli_util.h"
#include "commands.h"
#include "read/line_reader.h"

namespace auditlog::cli {
namespace {

using internal::LineReader;
using internal::SegmentFile;

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
  Tailer(const TailArgs& args, Env* env)
      : args_(args),
        env_(env),
        printer_(args.format == "table" ? OutputFormat::kTable : OutputFormat::kJsonl) {}

  // Prints the last args_.lines records and remembers where the log ends.
  Status PrintLast() {
    AUDITLOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments,
                              internal::ListLogSegments(env_, args_.dir));
    // Walk back from the newest segment, counting lines, to the one holding the Nth-last.
    std::size_t start = segments.size();
    std::uint64_t have = 0;
    while (start > 0 && have < args_.lines) {
      --start;
      AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t n, internal::CountLines(env_, segments[start]));
      have += n;
    }
    std::uint64_t skip = have > args_.lines ? have - args_.lines : 0;
    if (segments.empty()) return Status::Ok();
    if (start == segments.size()) {  // -n 0: print nothing, but follow from the end
      start = segments.size() - 1;
      skip = ~std::uint64_t{0};
    }
    for (std::size_t i = start; i < segments.size(); ++i) {
      AUDITLOG_RETURN_IF_ERROR(Drain(segments[i], 0, &skip));
    }
    printer_.Flush();
    return Status::Ok();
  }

  // Polls for new records until interrupted or a --max-seconds / --exit-after limit.
  Status Follow() {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(args_.max_seconds));
    std::uint64_t no_skip = 0;
    while (!Done()) {
      if (args_.max_seconds > 0 && std::chrono::steady_clock::now() >= deadline) break;
      AUDITLOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments,
                                internal::ListLogSegments(env_, args_.dir));
      bool progressed = false;
      for (const SegmentFile& s : segments) {
        if (has_position_ && s.index < index_) continue;
        if (!has_position_ || s.index > index_) {
          // A newer segment: the current one is finished (a writer never appends to a
          // segment once it has started the next), and it was drained on the last poll...
          // but drain it once more, in case the last records arrived just before rotation.
          if (has_position_) {
            for (const SegmentFile& old : segments) {
              if (old.index == index_) AUDITLOG_RETURN_IF_ERROR(Drain(old, offset_, &no_skip));
            }
          }
          has_position_ = true;
          index_ = s.index;
          offset_ = 0;
        }
        const std::uint64_t before = printed_;
        AUDITLOG_RETURN_IF_ERROR(Drain(s, offset_, &no_skip));
        progressed |= printed_ != before;
        if (Done()) break;
      }
      printer_.Flush();
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(args_.poll_ms));
    }
    printer_.Flush();
    return Status::Ok();
  }

 private:
  bool Done() const {
    return g_interrupted != 0 || (args_.exit_after > 0 && printed_ >= args_.exit_after);
  }

  // Prints the complete records of `segment` from `offset` on (after skipping `*skip`
  // lines), and moves the follow position to the end of its last complete line.
  Status Drain(const SegmentFile& segment, std::uint64_t offset, std::uint64_t* skip) {
    AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader,
                              LineReader::Open(env_, segment, offset));
    std::string_view line;
    std::uint64_t at = 0;
    for (;;) {
      if (Done()) break;
      AUDITLOG_ASSIGN_OR_RETURN(const bool more, reader->Next(&line, &at));
      if (!more) break;
      if (*skip > 0) {
        --*skip;
        continue;
      }
      if (!ParseRecordLine(line, &record_)) {
        ++malformed_;
        continue;
      }
      record_.segment = segment.name;
      printer_.Print(record_);
      ++printed_;
    }
    has_position_ = true;
    index_ = segment.index;
    offset_ = reader->end_of_lines();
    return Status::Ok();
  }

 public:
  std::uint64_t malformed() const { return malformed_; }

 private:
  const TailArgs& args_;
  Env* env_;
  RecordPrinter printer_;
  Record record_;
  bool has_position_ = false;
  std::uint64_t index_ = 0;   // segment being followed
  std::uint64_t offset_ = 0;  // end of its last complete line printed
  std::uint64_t printed_ = 0;
  std::uint64_t malformed_ = 0;
};

int RunTail(const TailArgs& args) {
  Tailer tailer(args, Env::Default());
  Status s = tailer.PrintLast();
  if (s.ok() && args.follow) {
    std::signal(SIGINT, OnSigint);
    std::signal(SIGTERM, OnSigint);
    s = tailer.Follow();
  }
  if (!s.ok()) {
    PrintError("tail", s.ToString());
    return kExitUsage;
  }
  if (tailer.malformed() > 0) {
    PrintError("tail", "warning: skipped " + std::to_string(tailer.malformed()) +
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
