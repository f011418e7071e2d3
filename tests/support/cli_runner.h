// Runs the `auditlog` binary in a child process and captures its output, for end-to-end
// tests of the commands. Thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace auditlog::testing {

struct CliResult {
  int exit_code = -1;    // -1: did not exit normally (killed by a signal)
  long max_rss_kb = -1;  // the child's peak RSS
  std::string out;
  std::string err;
};

// Runs `binary` with `args` (no shell), waits for it and returns what it printed. A child
// still running after `timeout` is killed (SIGKILL) and reported with exit_code -1.
CliResult RunCli(const std::string& binary, const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A child started in the background; Wait() collects it.
class BackgroundCli {
 public:
  BackgroundCli(const std::string& binary, const std::vector<std::string>& args);
  ~BackgroundCli();
  BackgroundCli(const BackgroundCli&) = delete;
  BackgroundCli& operator=(const BackgroundCli&) = delete;
  // Sends `signal` to the child.
  void Signal(int signal);
  // What the child has written to stdout so far.
  std::string OutputSoFar() const;
  CliResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  int pid_ = -1;
  std::string out_path_, err_path_;
  bool waited_ = false;
};

}  // namespace auditlog::testing
