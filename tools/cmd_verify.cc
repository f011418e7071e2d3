// `auditlog verify DIR [--last N | --since T --until T] [--json]`: checks every record of a
// log, or of a range anchored on the record before it; see docs/CLI.md.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "cli_util.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct VerifyArgs {
  std::string dir;
  bool json = false;
  std::uint64_t last = 0;
  bool last_set = false;
  std::string since, until;
  unsigned threads = 0;
  bool no_progress = false;
  std::string key_file;  // "-": standard input
};

// The verification key from `path` ("-": standard input), at most 4 KiB; never from argv,
// where other users and shell histories see it.
std::optional<std::string> ReadKeyFile(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    PrintError("verify", "--key-file: cannot open " + path);
    return std::nullopt;
  }
  std::string key(4097, '\0');
  const std::size_t n = std::fread(key.data(), 1, key.size(), f);
  if (f != stdin) std::fclose(f);
  if (n > 4096) {
    PrintError("verify", "--key-file: " + path + " is over 4 KiB (not a verification key)");
    return std::nullopt;
  }
  key.resize(n);
  return key;
}

// Draws "verify: 42% 1.2 GB/2.9 GB 610 MB/s 1.3 M records/s ETA 3 s" on stderr, on one line
// rewritten in place, once the run has taken more than a second (terminals only).
class ProgressLine {
 public:
  void Update(const VerifyProgress& p) {
    if (p.elapsed_seconds < 1.0 || p.elapsed_seconds <= 0) return;
    const double mbps = static_cast<double>(p.bytes_done) / p.elapsed_seconds;
    const double rps = static_cast<double>(p.records_done) / p.elapsed_seconds;
    const double left =
        p.bytes_total > p.bytes_done ? static_cast<double>(p.bytes_total - p.bytes_done) : 0;
    const double pct = p.bytes_total ? 100.0 * static_cast<double>(p.bytes_done) /
                                           static_cast<double>(p.bytes_total)
                                     : 100;
    char line[160];
    std::snprintf(line, sizeof line, "\rverify: %3.0f%% %s/%s %s/s %.0f records/s ETA %.0f s   ",
                  pct, HumanBytes(static_cast<double>(p.bytes_done)).c_str(),
                  HumanBytes(static_cast<double>(p.bytes_total)).c_str(), HumanBytes(mbps).c_str(),
                  rps, mbps > 0 ? left / mbps : 0.0);
    std::fputs(line, stderr);
    std::fflush(stderr);
    drawn_ = true;
  }
  void Clear() {
    if (drawn_) std::fputs("\r\033[K", stderr);  // our own control sequence, not log content
  }

 private:
  bool drawn_ = false;
};

double SealAgeSeconds(std::int64_t micros) {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return static_cast<double>(now - micros) / 1e6;
}

int ExitCodeFor(const VerifyReport& r) {
  if (r.tampered()) return kExitFindings;
  // A crash of a sealed log (torn tail or not) is an unclean end: the seals cannot tell it
  // from a truncation.
  if (r.seal.unclean_end()) return kExitUncleanEnd;
  if (r.torn_tail()) return kExitTornTail;
  return kExitOk;
}

nlohmann::json SealJson(const SealReport& s) {
  if (!s.sealed) return nullptr;
  return {{"tags_checked", s.tags_checked},
          {"seals", s.seals},
          {"sealed_through", s.sealed_through},
          {"unsealed_records", s.unsealed_records},
          {"last_seal_age_seconds", s.last_seal_micros == 0
                                        ? nlohmann::json(nullptr)
                                        : nlohmann::json(SealAgeSeconds(s.last_seal_micros))},
          {"clean_end", s.clean_end},
          {"live", s.live},
          {"unclean_end", s.unclean_end()},
          {"unclean_restarts", s.unclean_restarts}};
}

void PrintSealText(const SealReport& s) {
  if (!s.sealed) return;
  std::printf("sealed: seq 1..%llu, %llu seals, %s\n",
              static_cast<unsigned long long>(s.sealed_through),
              static_cast<unsigned long long>(s.seals),
              s.tags_checked ? "every tag checked with the verification key"
                             : "tags NOT checked (no --key-file): structure, chain and Merkle "
                               "roots only");
  if (s.last_seal_micros != 0) {
    std::printf("unsealed:  %llu records after the last seal (%.1f s ago)\n",
                static_cast<unsigned long long>(s.unsealed_records),
                SealAgeSeconds(s.last_seal_micros));
  } else {
    std::printf("unsealed:  %llu records (no seal yet)\n",
                static_cast<unsigned long long>(s.unsealed_records));
  }
  if (s.unclean_restarts > 0) {
    std::printf("restarts:  %llu after an unclean end\n",
                static_cast<unsigned long long>(s.unclean_restarts));
  }
  std::printf("end:       %s\n",
              s.clean_end ? "clean shutdown seal"
              : s.live    ? "live (being written: the last seal is recent)"
                          : "UNCLEAN END: a crash, a power loss, or a truncation (only the "
                            "platform copy or a checkpoint held elsewhere can tell)");
}

nlohmann::json FindingJson(const Finding& f) {
  return {{"kind", FindingKindName(f.kind)},
          {"file", f.file},
          {"line", f.line},
          {"last_line", f.last_line ? f.last_line : f.line},
          {"offset", f.offset},
          {"seq", f.seq ? nlohmann::json(*f.seq) : nlohmann::json(nullptr)},
          {"reason", f.reason}};
}

// dump() escapes control characters (and, with ensure_ascii, everything non-ASCII);
// error_handler::replace keeps invalid UTF-8 visible.
std::string Dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', true, nlohmann::json::error_handler_t::replace);
}

// The report as one JSON object. The findings are written one at a time into the place
// an empty "findings" array takes in the dump (never one document holding them all).
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
  j["first_hash"] = r.first_hash;
  j["ranged"] = r.ranged;
  j["anchor_seq"] = r.anchor_seq ? nlohmann::json(*r.anchor_seq) : nlohmann::json(nullptr);
  j["anchor_hash"] =
      r.anchor_hash.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.anchor_hash);
  j["seal"] = SealJson(r.seal);
  j["findings_dropped"] = r.findings_dropped;
  j["findings"] = nlohmann::json::array();
  const std::string doc = Dump(j, 2);
  // A newline cannot occur inside a dumped string, so this is the member itself.
  static constexpr std::string_view kSlot = "\n  \"findings\": []";
  const std::size_t slot = doc.find(kSlot);
  std::fwrite(doc.data(), 1, slot + kSlot.size() - 1, stdout);  // up to the '['
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    std::string item = "\n    ";
    for (char c : Dump(FindingJson(r.findings[i]), 2)) {  // nested two levels deeper
      item += c;
      if (c == '\n') item += "    ";
    }
    if (i + 1 < r.findings.size()) item += ',';
    std::fwrite(item.data(), 1, item.size(), stdout);
  }
  if (!r.findings.empty()) std::fputs("\n  ", stdout);
  const std::string rest = doc.substr(slot + kSlot.size() - 1);  // "]..." to the end
  std::fwrite(rest.data(), 1, rest.size(), stdout);
  std::fputc('\n', stdout);
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
    std::printf("last hash: %s\n", SafeText(r.last_hash).c_str());
    if (r.ranged) {
      if (r.anchor_seq) {
        std::printf("anchor:    seq %llu, hash %s (the record before the range)\n",
                    static_cast<unsigned long long>(*r.anchor_seq),
                    SafeText(r.anchor_hash).c_str());
      } else {
        std::printf("anchor:    genesis (the range starts at the first record)\n");
      }
    }
  } else if (r.ranged) {
    std::printf("range:     no record in the requested range\n");
  }
  PrintSealText(r.seal);
  if (!r.findings.empty()) {
    std::printf("\nfindings (%zu):\n", r.findings.size());
    for (const Finding& f : r.findings) {
      std::string where = SafeText(f.file);
      if (f.line) where += ":" + std::to_string(f.line);
      if (f.last_line > f.line) where += "-" + std::to_string(f.last_line);
      std::string at = "offset " + std::to_string(f.offset);
      if (f.seq) at += ", seq " + std::to_string(*f.seq);
      std::printf("  %s (%s): %s: %s\n", where.c_str(), at.c_str(),
                  std::string(FindingKindName(f.kind)).c_str(), SafeText(f.reason).c_str());
    }
    if (r.findings_dropped > 0) {
      std::printf("  ... and %llu more finding(s), not kept (the first %zu are listed)\n",
                  static_cast<unsigned long long>(r.findings_dropped), r.findings.size());
    }
  }
  const char* verdict = r.tampered() ? "FAILED: the log was altered or damaged"
                        : r.seal.unclean_end()
                            ? "INTACT as far as sealed, but the log did not end cleanly"
                        : r.intact() ? "INTACT: every record and chain link verified"
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
  auto* last = cmd->add_option("--last", args->last, "Verify only the last N records (anchored)")
                   ->check(CLI::NonNegativeNumber)
                   ->each([args](const std::string&) { args->last_set = true; });
  auto* since = cmd->add_option("--since", args->since,
                                "Verify the records from this time on (RFC 3339 or YYYY-MM-DD)");
  auto* until =
      cmd->add_option("--until", args->until,
                      "Verify the records up to this time (inclusive; a date means the whole day)");
  last->excludes(since)->excludes(until);
  cmd->add_option("--threads", args->threads,
                  "Hashing threads, at most " + std::to_string(kMaxVerifyThreads) +
                      " (default: one per core)")
      ->check(CLI::Range(0u, kMaxVerifyThreads));
  cmd->add_flag("--no-progress", args->no_progress, "Never draw the progress line");
  cmd->add_option("--key-file", args->key_file,
                  "A sealed log's verification key (alsk1:...) from this file, '-' for "
                  "standard input: every seal's tag is checked");
  cmd->callback([args, exit_code] {
    VerifyOptions options;
    if (args->last_set) {
      if (args->last == 0) {
        PrintError("verify", "--last: must be at least 1");
        *exit_code = kExitUsage;
        return;
      }
      options.last_n = args->last;
    }
    if (!args->since.empty()) {
      options.since = ParseTimeArg("verify", "--since", args->since, TimeBound::kStart);
      if (!options.since) {
        *exit_code = kExitUsage;
        return;
      }
    }
    if (!args->until.empty()) {
      options.until = ParseTimeArg("verify", "--until", args->until, TimeBound::kEnd);
      if (!options.until) {
        *exit_code = kExitUsage;
        return;
      }
    }
    if (options.since && options.until && *options.since > *options.until) {
      PrintError("verify", "--since: is after --until");
      *exit_code = kExitUsage;
      return;
    }
    options.threads = args->threads;
    if (!args->key_file.empty()) {
      auto key = ReadKeyFile(args->key_file);
      if (!key) {
        *exit_code = kExitUsage;
        return;
      }
      options.seal_key = std::move(*key);
    }
    ProgressLine progress;
    if (!args->no_progress && StderrIsTerminal()) {
      options.progress = [&progress](const VerifyProgress& p) { progress.Update(p); };
    }
    auto report = Verify(args->dir, options);
    progress.Clear();
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
