// Runs auditlogd (or any program that announces readiness on stderr) in a child process for
// end-to-end tests: Start() returns once the child printed its readiness line, so tests
// never sleep a guessed time. Thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace auditlog::testing {

class DaemonProcess {
 public:
  DaemonProcess() = default;
  // Kills (SIGKILL) and reaps a child still running.
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts `binary args...` and waits until its stderr holds a line starting with
  // `ready_prefix` ("auditlogd: listening on"). False (with the child's stderr in
  // stderr_text()) when it exited first or `timeout` passed.
  bool Start(const std::string& binary, const std::vector<std::string>& args,
             const std::string& ready_prefix = "auditlogd: listening on",
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int pid() const { return pid_; }
  void Signal(int signal);
  // Waits for the child's exit: its exit code, or -1 when a signal ended it, or -2 when it
  // was still running after `timeout` (then it is killed).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // What the child wrote to stderr so far (all of it after Wait()).
  const std::string& stderr_text();

 private:
  void Drain(int timeout_ms);
  int pid_ = -1;
  int err_fd_ = -1;
  std::string err_;
};

}  // namespace auditlog::testing
