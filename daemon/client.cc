#include "client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

namespace auditlogd {

using auditlog::Status;
using auditlog::StatusCode;

namespace {

StatusCode CodeFromName(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kTimeout); ++c) {
    if (auditlog::StatusCodeName(static_cast<StatusCode>(c)) == name) {
      return static_cast<StatusCode>(c);
    }
  }
  return StatusCode::kIOError;
}

}  // namespace

auditlog::Result<Client> Client::Connect(const std::string& socket_path) {
  sockaddr_un addr{};
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    return Status::InvalidArgument("socket path: empty or longer than " +
                                   std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const Status s = Status::IOError("connect " + socket_path + ": " + std::strerror(errno));
    ::close(fd);
    return s;
  }
  return Client(fd);
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Status Client::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("send to auditlogd: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

auditlog::Result<std::string> Client::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    // Rounded up, and at least one poll even when the time is up: what has arrived is read.
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (r < 0 && errno != EINTR) return Status::IOError(std::string("poll: ") + strerror(errno));
    if (r == 0) return Status::Timeout("no response from auditlogd in time");
    if (r < 0) continue;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::IOError(std::string("recv from auditlogd: ") + std::strerror(errno));
    }
    if (n == 0) return Status::IOError("auditlogd closed the connection");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

auditlog::Result<EmitReply> Client::Emit(std::string_view event_json, bool durable, bool critical) {
  std::string request = "{\"event\":";
  for (char c : event_json) request.push_back(c == '\n' || c == '\r' ? ' ' : c);
  request += durable ? ",\"durable\":true" : ",\"durable\":false";
  if (critical) request += ",\"critical\":true";
  request += "}\n";
  AUDITLOG_RETURN_IF_ERROR(Send(request));
  auto line = ReadLine();
  if (!line.ok()) return line.status();
  return ParseResponse(*line);
}

auditlog::Result<EmitReply> ParseResponse(std::string_view line) {
  const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  const auto malformed = [&] {
    return Status::IOError("malformed response from auditlogd: " +
                           std::string(line.substr(0, 200)));
  };
  if (!json.is_object()) return malformed();
  if (const auto e = json.find("error"); e != json.end()) {
    if (!e->is_object() || !e->contains("code") || !(*e)["code"].is_string() ||
        !e->contains("message") || !(*e)["message"].is_string()) {
      return malformed();
    }
    const StatusCode code = CodeFromName((*e)["code"].get<std::string>());
    if (code == StatusCode::kOk) return malformed();
    return Status(code, (*e)["message"].get<std::string>());
  }
  const auto seq = json.find("seq");
  const auto durable = json.find("durable");
  if (seq == json.end() || !seq->is_number_unsigned() || durable == json.end() ||
      !durable->is_boolean()) {
    return malformed();
  }
  return EmitReply{seq->get<std::uint64_t>(), durable->get<bool>()};
}

}  // namespace auditlogd
