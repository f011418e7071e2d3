// `auditlog`: the command-line tool. A thin main() over the library; each subcommand lives
// in its own cmd_*.cc file.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "auditlog/version.h"
#include "commands.h"
#include "terminal.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{
      "auditlog: tamper-evident, append-only security audit logs.\n"
      "Exit codes: 0 ok/intact, 1 findings, 2 usage or I/O error, 3 torn tail only (verify)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "auditlog " + std::string(auditlog::Version()));
  int exit_code = auditlog::cli::kExitOk;
  auditlog::cli::AddVerifyCommand(app, &exit_code);
  auditlog::cli::AddQueryCommand(app, &exit_code);
  auditlog::cli::AddTailCommand(app, &exit_code);
  auditlog::cli::AddStatsCommand(app, &exit_code);
  auditlog::cli::AddExportCommand(app, &exit_code);
  auditlog::cli::AddRetentionCommand(app, &exit_code);
  auditlog::cli::AddDemoCommand(app, &exit_code);
  auditlog::cli::AddEmitCommand(app, &exit_code);
  auditlog::cli::AddSealCommand(app, &exit_code);
  auditlog::cli::AddProofCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line naming the argument (CLI11's message does), then the usage exit code.
    std::fprintf(stderr, "auditlog: %s (see --help)\n", auditlog::cli::SafeText(e.what()).c_str());
    return auditlog::cli::kExitUsage;
  }
  return exit_code;
}

}  // namespace

// The library never throws on bad input; this is the safety net that turns anything that
// escapes anyway (a bug, std::bad_alloc) into one line and the error exit code, never abort().
int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "auditlog: internal error: %s\n",
                 auditlog::cli::SafeText(e.what()).c_str());
  } catch (...) {
    std::fprintf(stderr, "auditlog: internal error: unknown exception\n");
  }
  return auditlog::cli::kExitUsage;
}
