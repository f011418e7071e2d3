#include "cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace auditlog::testing {

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const char* what) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("auditlog-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + what))
      .string();
}

int Spawn(const std::string& binary, const std::vector<std::string>& args,
          const std::string& out_path, const std::string& err_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// The child's exit code (-1: killed, or still running after `timeout` and killed now) and,
// in `*max_rss_kb`, its peak RSS.
int WaitFor(int pid, std::chrono::milliseconds timeout, long* max_rss_kb) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  struct rusage ru {};
  for (;;) {
    const pid_t r = ::wait4(pid, &status, WNOHANG, &ru);
    if (r == pid) break;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &ru);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  *max_rss_kb = ru.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

CliResult RunCli(const std::string& binary, const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout) {
  BackgroundCli child(binary, args);
  return child.Wait(timeout);
}

BackgroundCli::BackgroundCli(const std::string& binary, const std::vector<std::string>& args)
    : out_path_(TempPath(".out")), err_path_(TempPath(".err")) {
  pid_ = Spawn(binary, args, out_path_, err_path_);
}

BackgroundCli::~BackgroundCli() {
  if (!waited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove(out_path_, ec);
  std::filesystem::remove(err_path_, ec);
}

void BackgroundCli::Signal(int signal) {
  if (pid_ > 0 && !waited_) ::kill(pid_, signal);
}

std::string BackgroundCli::OutputSoFar() const { return Slurp(out_path_); }

CliResult BackgroundCli::Wait(std::chrono::milliseconds timeout) {
  CliResult r;
  if (pid_ <= 0) return r;
  r.exit_code = WaitFor(pid_, timeout, &r.max_rss_kb);
  waited_ = true;
  r.out = Slurp(out_path_);
  r.err = Slurp(err_path_);
  return r;
}

}  // namespace auditlog::testing
