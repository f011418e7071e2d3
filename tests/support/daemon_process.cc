#include "daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace auditlog::testing {

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (err_fd_ >= 0) ::close(err_fd_);
}

void DaemonProcess::Drain(int timeout_ms) {
  if (err_fd_ < 0) return;
  pollfd p{err_fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  const ssize_t n = ::read(err_fd_, buf, sizeof buf);
  if (n > 0) {
    err_.append(buf, static_cast<std::size_t>(n));
  } else if (n == 0) {
    ::close(err_fd_);
    err_fd_ = -1;
  }
}

bool DaemonProcess::Start(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& ready_prefix, std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(fds[1], 2);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  err_fd_ = fds[0];
  if (pid_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err_.rfind(ready_prefix, 0) == 0 || err_.find("\n" + ready_prefix) != std::string::npos) {
      return true;
    }
    if (err_fd_ < 0) return false;  // the child closed stderr: it exited
    Drain(50);
  }
  return false;
}

void DaemonProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int DaemonProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return -2;
    }
    Drain(20);
  }
  pid_ = -1;
  while (err_fd_ >= 0) Drain(1000);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string& DaemonProcess::stderr_text() {
  Drain(0);
  return err_;
}

}  // namespace auditlog::testing
