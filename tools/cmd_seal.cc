// `auditlog seal init DIR [--interval 1s]`: turns sealing on for a log directory and prints
// the verification key once; see docs/CLI.md ("seal").
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "auditlog/seal.h"
#include "cli_util.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

// "250ms", "1s", "5m", "1h" (a bare number is seconds).
std::optional<std::chrono::milliseconds> ParseInterval(const std::string& text) {
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p == text.data() || n > 86'400'000) return std::nullopt;
  const std::string unit(p, end);
  std::uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  if (unit == "s" || unit.empty()) scale = 1000;
  if (unit == "m") scale = 60'000;
  if (unit == "h") scale = 3'600'000;
  if (scale == 0) return std::nullopt;
  return std::chrono::milliseconds(n * scale);
}

struct SealInitArgs {
  std::string dir;
  std::string interval = "1s";
};

}  // namespace

void AddSealCommand(CLI::App& app, int* exit_code) {
  CLI::App* seal = app.add_subcommand("seal", "Forward-secure sealing of a log directory");
  seal->require_subcommand(1);
  auto args = std::make_shared<SealInitArgs>();
  CLI::App* init = seal->add_subcommand(
      "init",
      "Turn sealing on for DIR and print its verification key (once: keep it off the host)");
  init->add_option("dir", args->dir, "Log directory (new or existing)")->required();
  init->add_option("--interval", args->interval,
                   "Seal interval: 100ms to 1h, dividing a day (default 1s)");
  init->callback([args, exit_code] {
    const auto interval = ParseInterval(args->interval);
    if (!interval) {
      PrintError("seal init", "--interval: expected a duration such as 500ms, 1s, 1m");
      *exit_code = kExitUsage;
      return;
    }
    SealInitOptions options;
    options.interval = *interval;
    auto result = InitSealing(args->dir, options);
    if (!result.ok()) {
      PrintError("seal init", result.status().ToString());
      *exit_code = kExitUsage;
      return;
    }
    std::printf("verification-key: %s\n", result->verification_key.c_str());
    std::printf("checkpoint-key: %s\n", result->checkpoint_key.c_str());
    std::printf("log-id: %s\n", result->log_id.c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "auditlog seal init: sealing is on for %s. The verification key above is "
                 "printed once and stored nowhere: keep it off this host (auditlog verify "
                 "--key-file needs it).\n",
                 SafeText(args->dir).c_str());
    *exit_code = kExitOk;
  });
}

}  // namespace auditlog::cli
