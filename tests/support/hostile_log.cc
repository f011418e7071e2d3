// See hostile_log.h.
#include "hostile_log.h"

#include <algorithm>
#include <chrono>

#include "auditlog/auditlog.h"
#include "fake_clock.h"
#include "storage/zstd_file.h"
#include "test_util.h"

namespace auditlog::testing {

namespace fs = std::filesystem;

namespace {

std::uint64_t Uniform(std::mt19937_64& rng, std::uint64_t lo, std::uint64_t hi) {
  return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
}

// A random event: numbered custom events, some carrying hostile strings (neutralized, so
// the record has a "sanitized" member), some critical, some built-in.
Event RandomEvent(std::mt19937_64& rng, int n) {
  static const char* const kHostile[] = {"mallory\x1b[2J",     "eve\n{\"x\":1}",
                                         "a\u202egnp.exe",     "plain",
                                         "\xff\xfe bad utf-8", "quote\"back\\slash"};
  switch (Uniform(rng, 0, 3)) {
    case 0:
      return AuthFailure{.attempted_user = kHostile[Uniform(rng, 0, 5)],
                         .reason = "bad_password",
                         .ip = "203.0.113.7",
                         .path = "/v2/login",
                         .service_id = "svc"};
    case 1:
      return CustomEvent{.event_type = "test_event",
                         .fields = {{"n", n}, {"note", kHostile[Uniform(rng, 0, 5)]}},
                         .criticality = Criticality::kCritical};
    default:
      return CustomEvent{.event_type = "test_event",
                         .fields = {{"n", n}, {"pad", std::string(Uniform(rng, 0, 200), 'x')}}};
  }
}

// One Logger session: opens, emits `count` events a random number of seconds apart, shuts
// down.
Status Session(const Config& config, FakeClockEnv* clock, std::mt19937_64& rng, int count, int* n) {
  AUDITLOG_ASSIGN_OR_RETURN(auto logger, Logger::Open(config));
  for (int i = 0; i < count; ++i) {
    clock->Advance(std::chrono::seconds(Uniform(rng, 1, 120)));
    AUDITLOG_RETURN_IF_ERROR(logger->Emit(RandomEvent(rng, (*n)++)).status());
    if (Uniform(rng, 0, 7) == 0) AUDITLOG_RETURN_IF_ERROR(logger->Flush());
  }
  return logger->Shutdown();
}

fs::path NewestSegment(const fs::path& dir) {
  fs::path newest;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".audit") && (newest.empty() || name > newest.filename().string())) {
      newest = e.path();
    }
  }
  return newest;
}

}  // namespace

Status BuildRandomLog(const fs::path& dir, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  FakeClockEnv clock;
  Config config;
  config.service_id = "svc";
  config.mode = LocalMode{dir};
  config.flush_mode = Batched{.size = 1000000, .interval = std::chrono::hours(1)};
  config.rotation = RotationPolicy::SizeLimit(Uniform(rng, 1500, 4000));
  config.min_free_bytes = 0;
  config.env = &clock;
  const RetentionPolicy keep{
      .min_retention_days = 3650, .archive_after_days = 3650, .delete_after_days = 3650};
  RetentionPolicy archive = keep;
  archive.archive_after_days = 0;
  int n = 0;
  // Old segments, archived by the next session (at open and at each rotation); then
  // closed plain segments; then a torn tail that the last session quarantines.
  config.retention = keep;
  AUDITLOG_RETURN_IF_ERROR(Session(config, &clock, rng, Uniform(rng, 8, 30), &n));
  config.retention = archive;
  AUDITLOG_RETURN_IF_ERROR(Session(config, &clock, rng, Uniform(rng, 0, 20), &n));
  config.retention = keep;
  AUDITLOG_RETURN_IF_ERROR(Session(config, &clock, rng, Uniform(rng, 8, 30), &n));
  const fs::path newest = NewestSegment(dir);
  if (newest.empty()) return Status::IOError("no segment written");
  WriteFile(newest,
            ReadFile(newest) + "{\"v\":1,\"seq\":" + std::to_string(n + 1) + ",\"audit_id\":\"sv");
  return Session(config, &clock, rng, Uniform(rng, 1, 6), &n);
}

Result<LogSnapshot> TakeSnapshot(const fs::path& dir) {
  LogSnapshot snap;
  AUDITLOG_ASSIGN_OR_RETURN(auto cursor, QueryCursor::Open(dir, Query{}));
  Record r;
  for (;;) {
    AUDITLOG_ASSIGN_OR_RETURN(bool more, cursor->Next(&r));
    if (!more) break;
    snap.records.push_back({r.seq, r.hash, r.line, r.ts_micros});
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".audit")) {
      snap.segments[name] = ReadFile(e.path());
    } else if (name.ends_with(".audit.zst")) {
      const std::string plain = name.substr(0, name.size() - 4);
      if (fs::exists(dir / plain)) continue;
      std::string text = "<unreadable>";
      auto file = internal::OpenCompressedFile(Env::Default(), e.path());
      if (file.ok()) {
        auto size = (*file)->Size();
        if (size.ok() && *size < (64u << 20) && !(*file)->Read(0, *size, &text).ok()) {
          text = "<unreadable>";
        }
      }
      snap.segments[plain] = text;
    }
  }
  return snap;
}

std::vector<LogSnapshot::Rec> RecordsBetween(const std::vector<LogSnapshot::Rec>& all,
                                             std::int64_t since, std::int64_t until) {
  std::vector<LogSnapshot::Rec> out;
  for (const auto& r : all) {
    if (r.ts_micros >= since && r.ts_micros <= until) out.push_back(r);
  }
  return out;
}

}  // namespace auditlog::testing
