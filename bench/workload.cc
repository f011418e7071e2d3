// The write benchmarks' events and the producer harness's summary; see workload.h.
#include "workload.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "format/event_codec.h"
#include "format/record_format.h"

namespace bench {

// Realistic events: what an inference service logs per request. Routine events alternate
// AuthSuccess and TaskCompleted (records of ~350-400 bytes); in the Hybrid cases every 100th
// event is a critical AuthFailure.

namespace {

auditlog::Event RoutineEvent(std::uint64_t i) {
  char buf[32];
  if (i % 2 == 0) {
    std::snprintf(buf, sizeof buf, "token:%06" PRIx64, (i * 2654435761u) & 0xffffff);
    std::string user = buf;
    std::snprintf(buf, sizeof buf, "10.0.%u.%u", static_cast<unsigned>(i % 7),
                  static_cast<unsigned>(1 + i % 250));
    std::string ip = buf;
    std::snprintf(buf, sizeof buf, "sess-%06" PRIu64, i % 1000000);
    return auditlog::AuthSuccess{.actor = {.user_id = user,
                                           .ip = auditlog::IpAddr(ip),
                                           .auth_method = auditlog::AuthMethod::kBearerToken,
                                           .session_id = std::string(buf)},
                                 .method = auditlog::AuthMethod::kBearerToken,
                                 .path = "/v2/tasks",
                                 .service_id = "queen"};
  }
  std::snprintf(buf, sizeof buf, "task-%010" PRIu64, i);
  std::string task = buf;
  std::snprintf(buf, sizeof buf, "gpu-worker-%02u", static_cast<unsigned>(i % 16));
  return auditlog::TaskCompleted{.task_id = task,
                                 .worker_id = buf,
                                 .tokens_generated = 100 + (i * 37) % 4000,
                                 .duration_ms = 20 + (i * 13) % 5000,
                                 .result = auditlog::AuditResult::Success()};
}

auditlog::Event CriticalEvent(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "203.0.113.%u", static_cast<unsigned>(1 + i % 250));
  return auditlog::AuthFailure{.attempted_user = std::string("mallory"),
                               .reason = "bad_password",
                               .ip = auditlog::IpAddr(buf),
                               .path = "/v2/tasks",
                               .service_id = "queen"};
}

}  // namespace

// 100 events; with `critical`, the last one (1%) is critical.
std::vector<auditlog::Event> Templates(int producer, bool critical) {
  std::vector<auditlog::Event> v;
  v.reserve(kTemplates);
  for (std::size_t i = 0; i < kTemplates; ++i) {
    const std::uint64_t n = static_cast<std::uint64_t>(producer) * 1000 + i;
    v.push_back(critical && i == kTemplates - 1 ? CriticalEvent(n) : RoutineEvent(n));
  }
  return v;
}

// The record lines the library would write for the templates (without the '\n').
std::vector<std::string> RenderLines(const std::vector<auditlog::Event>& events) {
  std::vector<std::string> lines;
  std::string prev(auditlog::internal::kGenesisHash);
  auditlog::internal::EncodedEvent enc;
  char hash[64];
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::uint64_t seq = 1000000;
  for (const auto& e : events) {
    if (!auditlog::internal::EncodeEvent(e, {}, &enc).ok()) continue;
    std::string line;
    auditlog::internal::FrameRecord(seq++, now, "bench", enc.critical, enc.body, prev, &line, hash);
    prev.assign(hash, 64);
    line.pop_back();  // '\n'
    lines.push_back(std::move(line));
  }
  return lines;
}

double AverageRecordBytes() {
  const auto lines = RenderLines(Templates(0, false));
  double total = 0;
  for (const auto& l : lines) total += static_cast<double>(l.size() + 1);
  return lines.empty() ? 0 : total / static_cast<double>(lines.size());
}

void Summarize(const std::vector<std::unique_ptr<ProducerStats>>& stats, CaseResult* r) {
  Histogram h;
  std::uint64_t allocs = 0, calls = 0;
  for (const auto& s : stats) {
    h.Merge(s->hist);
    r->events += s->ok;
    r->rejected += s->failed;
    allocs += s->allocs;
    calls += s->ok + s->failed;
    if (r->error[0] == '\0' && !s->first_error.empty()) {
      std::snprintf(r->error, sizeof r->error, "%s", s->first_error.c_str());
    }
  }
  FillLatency(h, r);
  r->allocs_per_call = calls ? static_cast<double>(allocs) / static_cast<double>(calls) : 0;
  if (!stats.empty()) {
    const auto& rss = stats.front()->rss;
    for (std::size_t i = 0; i < rss.size() && i < kMaxRssSamples; ++i) {
      r->rss_at_events[i] = rss[i].first;
      r->rss_mb[i] = rss[i].second;
      r->rss_samples = static_cast<int>(i + 1);
    }
  }
}

}  // namespace bench
