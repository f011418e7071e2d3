// The C API (<auditlog/c.h>): a thin layer over the public C++ API. Nothing may escape to
// the C caller as an exception, so every entry point catches everything (std::bad_alloc
// included) and reports it as a code and a message.
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "auditlog/auditlog.h"
#include "auditlog/c.h"

struct auditlog_logger {
  std::unique_ptr<auditlog::Logger> logger;
};

namespace {

using auditlog::Status;
using auditlog::StatusCode;

static_assert(static_cast<int>(StatusCode::kTimeout) == AUDITLOG_TIMEOUT &&
                  static_cast<int>(StatusCode::kInvalidArgument) == AUDITLOG_INVALID_ARGUMENT &&
                  static_cast<int>(StatusCode::kDiskSpaceLow) == AUDITLOG_DISK_SPACE_LOW,
              "auditlog_code mirrors auditlog::StatusCode");

auditlog_code Report(const Status& status, auditlog_error* err) {
  const auto code = static_cast<auditlog_code>(status.code());
  if (err != nullptr) {
    err->code = code;
    const std::string& m = status.message();
    const std::size_t n = std::min(m.size(), sizeof err->message - 1);
    std::memcpy(err->message, m.data(), n);
    err->message[n] = '\0';
  }
  return code;
}

auditlog_code ReportOk(auditlog_error* err) { return Report(Status::Ok(), err); }

// Runs `body` (which returns a Status), turning any exception into an error.
template <typename Body>
auditlog_code Guarded(auditlog_error* err, Body&& body) {
  try {
    return Report(std::forward<Body>(body)(), err);
  } catch (const std::bad_alloc&) {
    return Report(Status::FailedPrecondition("out of memory"), err);
  } catch (const std::exception& e) {
    return Report(Status::FailedPrecondition(std::string("internal error: ") + e.what()), err);
  } catch (...) {
    return Report(Status::FailedPrecondition("internal error"), err);
  }
}

Status CheckLogger(const auditlog_logger* logger) {
  if (logger == nullptr || !logger->logger) {
    return Status::InvalidArgument("logger: NULL (open it with auditlog_open)");
  }
  return Status::Ok();
}

}  // namespace

extern "C" {

auditlog_code auditlog_open(const char* dir, const char* service_id, int flush_mode,
                            auditlog_logger** out, auditlog_error* err) {
  if (out == nullptr) return Report(Status::InvalidArgument("out: NULL"), err);
  *out = nullptr;
  return Guarded(err, [&]() -> Status {
    if (dir == nullptr || *dir == '\0') return Status::InvalidArgument("dir: NULL or empty");
    if (service_id == nullptr) return Status::InvalidArgument("service_id: NULL");
    auditlog::Config config;
    config.service_id = service_id;
    config.mode = auditlog::LocalMode{dir};
    switch (flush_mode) {
      case AUDITLOG_FLUSH_HYBRID:
        config.flush_mode = auditlog::Hybrid{};
        break;
      case AUDITLOG_FLUSH_IMMEDIATE:
        config.flush_mode = auditlog::Immediate{};
        break;
      case AUDITLOG_FLUSH_BATCHED:
        config.flush_mode = auditlog::Batched{};
        break;
      default:
        return Status::InvalidArgument("flush_mode: not one of AUDITLOG_FLUSH_*");
    }
    auto logger = auditlog::Logger::Open(config);
    if (!logger.ok()) return logger.status();
    auto handle = std::make_unique<auditlog_logger>();
    handle->logger = std::move(*logger);
    *out = handle.release();
    return Status::Ok();
  });
}

auditlog_code auditlog_emit_json(auditlog_logger* logger, const char* json, size_t len, int flags,
                                 uint64_t* seq, auditlog_error* err) {
  return Guarded(err, [&]() -> Status {
    AUDITLOG_RETURN_IF_ERROR(CheckLogger(logger));
    if (json == nullptr && len != 0) return Status::InvalidArgument("json: NULL");
    if ((flags & ~(AUDITLOG_EMIT_DURABLE | AUDITLOG_EMIT_CRITICAL)) != 0) {
      return Status::InvalidArgument("flags: unknown bits (use AUDITLOG_EMIT_*)");
    }
    const auto criticality = (flags & AUDITLOG_EMIT_CRITICAL) ? auditlog::Criticality::kCritical
                                                              : auditlog::Criticality::kRoutine;
    auto event =
        auditlog::EventFromJson(std::string_view(json == nullptr ? "" : json, len), criticality);
    if (!event.ok()) return event.status();
    if (flags & AUDITLOG_EMIT_DURABLE) {
      std::uint64_t s = 0;
      AUDITLOG_RETURN_IF_ERROR(logger->logger->EmitDurable(std::move(*event), &s));
      if (seq != nullptr) *seq = s;
      return Status::Ok();
    }
    auto s = logger->logger->Emit(std::move(*event));
    if (!s.ok()) return s.status();
    if (seq != nullptr) *seq = *s;
    return Status::Ok();
  });
}

auditlog_code auditlog_flush(auditlog_logger* logger, auditlog_error* err) {
  return Guarded(err, [&]() -> Status {
    AUDITLOG_RETURN_IF_ERROR(CheckLogger(logger));
    return logger->logger->Flush();
  });
}

auditlog_code auditlog_close(auditlog_logger* logger, auditlog_error* err) {
  if (logger == nullptr) return ReportOk(err);
  std::unique_ptr<auditlog_logger> owned(logger);
  return Guarded(err, [&]() -> Status {
    if (!owned->logger) return Status::Ok();
    return owned->logger->Shutdown();
  });
}

const char* auditlog_code_name(int code) {
  if (code < AUDITLOG_OK || code > AUDITLOG_TIMEOUT) return "unknown";
  // StatusCodeName returns views of string literals: NUL-terminated, static storage.
  return auditlog::StatusCodeName(static_cast<StatusCode>(code)).data();
}

// Version() views the string literal of src/util/version.cc: NUL-terminated, static storage.
const char* auditlog_version(void) { return auditlog::Version().data(); }

}  // extern "C"
