#include "child_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>

namespace auditlog::testing {

namespace {

// A field of /proc/self/status in KiB, -1 when absent.
std::int64_t ProcStatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtoll(line.c_str() + prefix.size(), nullptr, 10);
  }
  return -1;
}

void WriteAll(int fd, const std::string& s) {
  for (std::size_t done = 0; done < s.size();) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// The child's side: runs `fn`, sends "<rss growth>\n<exit kind>\n<text>" and exits.
[[noreturn]] void ChildMain(const std::function<std::string()>& fn, int fd) {
  const std::int64_t start = ProcStatusKb("VmRSS");
  std::string text, kind = "returned";
  try {
    text = fn();
  } catch (const std::exception& e) {
    kind = "exception";
    text = e.what();
  } catch (...) {
    kind = "exception";
    text = "not a std::exception";
  }
  const std::int64_t peak = ProcStatusKb("VmHWM");
  WriteAll(fd, std::to_string(peak - start) + "\n" + kind + "\n" + text);
  ::_exit(0);
}

// Reads `fd` to its end or until `deadline`; false when the deadline came first.
bool ReadUntil(int fd, std::chrono::steady_clock::time_point deadline, std::string* out) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out->append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::chrono::seconds HangLimit() {
  const char* s = std::getenv("AUDITLOG_HANG_LIMIT_S");
  return std::chrono::seconds(s != nullptr ? std::atoi(s) : 60);
}

std::string ChildRun::Failure() const {
  switch (end) {
    case End::kReturned:
      return "";
    case End::kCrashed:
      return "crash: " + problem;
    case End::kHung:
      return "hang: " + problem;
    case End::kNotStarted:
      return "not started: " + problem;
  }
  return "?";
}

ChildRun RunInChild(const std::function<std::string()>& fn, std::chrono::seconds limit) {
  ChildRun run;
  int fds[2];
  if (::pipe(fds) != 0) {
    run.problem = std::string("pipe: ") + std::strerror(errno);
    return run;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    run.problem = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return run;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ChildMain(fn, fds[1]);
  }
  ::close(fds[1]);
  std::string all;
  const bool finished = ReadUntil(fds[0], std::chrono::steady_clock::now() + limit, &all);
  ::close(fds[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  run.max_rss_kb = ru.ru_maxrss;
  if (!finished) {
    run.end = ChildRun::End::kHung;
    run.problem = "still running after " + std::to_string(limit.count()) + " s";
    return run;
  }
  const std::size_t nl1 = all.find('\n');
  const std::size_t nl2 = nl1 == std::string::npos ? nl1 : all.find('\n', nl1 + 1);
  if (WIFSIGNALED(status)) {
    run.end = ChildRun::End::kCrashed;
    run.problem =
        "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return run;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || nl2 == std::string::npos) {
    run.end = ChildRun::End::kCrashed;
    run.problem = "exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                  " before it reported";
    return run;
  }
  run.rss_growth_kb = std::strtoll(all.c_str(), nullptr, 10);
  const std::string kind = all.substr(nl1 + 1, nl2 - nl1 - 1);
  if (kind != "returned") {
    run.end = ChildRun::End::kCrashed;
    run.problem = "exception escaped: " + all.substr(nl2 + 1);
    return run;
  }
  run.end = ChildRun::End::kReturned;
  run.text = all.substr(nl2 + 1);
  return run;
}

}  // namespace auditlog::testing
