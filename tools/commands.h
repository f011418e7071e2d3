// The `auditlog` subcommands. Each Add*Command registers one CLI11 subcommand whose callback
// stores the process exit code in `*exit_code`.
//
// Exit codes shared by every command: 0 success (for verify: intact), 1 findings,
// 2 usage or I/O error, 3 (verify only) intact except a torn tail left by a crash,
// 4 (verify only) a sealed log, intact, that did not end cleanly (crash, power loss, or a
// truncation only an external anchor can prove).
#pragma once

#include <CLI/CLI.hpp>

namespace auditlog::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitTornTail = 3;
inline constexpr int kExitUncleanEnd = 4;

void AddVerifyCommand(CLI::App& app, int* exit_code);
void AddDemoCommand(CLI::App& app, int* exit_code);
void AddQueryCommand(CLI::App& app, int* exit_code);
void AddTailCommand(CLI::App& app, int* exit_code);
void AddStatsCommand(CLI::App& app, int* exit_code);
void AddExportCommand(CLI::App& app, int* exit_code);
void AddRetentionCommand(CLI::App& app, int* exit_code);
void AddEmitCommand(CLI::App& app, int* exit_code);
void AddSealCommand(CLI::App& app, int* exit_code);
// checkpoint, prove, verify-proof, consistency (cmd_prove.cc).
void AddProofCommands(CLI::App& app, int* exit_code);

}  // namespace auditlog::cli
