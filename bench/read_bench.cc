// The read case of auditlog-bench: generates a large log quickly with the library's own
// RecordWriter (the records are byte for byte what a Logger writes, but without the writer
// engine's queue and without fsync), then times
//   - auditlog::Verify (what `auditlog verify DIR` runs), with 2 threads and with 1, and
//   - auditlog::QueryCursor (what `auditlog query DIR` runs): an actor filter that matches
//     about 0.1% of the records, and a full scan that returns every record,
// on a warm page cache (the log was just written), and removes the log.
#include "read_bench.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <memory>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "bench_util.h"
#include "format/event_codec.h"
#include "storage/record_writer.h"

namespace bench {
namespace fs = std::filesystem;

namespace {

// The bench log is scratch data: fsync would only measure the disk.
class NoSyncFile final : public auditlog::WritableFile {
 public:
  explicit NoSyncFile(std::unique_ptr<auditlog::WritableFile> f) : f_(std::move(f)) {}
  auditlog::Status Append(std::string_view data) override { return f_->Append(data); }
  auditlog::Status Sync() override { return auditlog::Status::Ok(); }
  auditlog::Status Truncate(std::uint64_t size) override { return f_->Truncate(size); }
  auditlog::Status Close() override { return f_->Close(); }
  std::uint64_t Size() const override { return f_->Size(); }
  auditlog::Result<bool> StillLinked() const override { return f_->StillLinked(); }

 private:
  std::unique_ptr<auditlog::WritableFile> f_;
};

class NoSyncEnv final : public auditlog::EnvWrapper {
 public:
  NoSyncEnv() : EnvWrapper(auditlog::Env::Default()) {}
  auditlog::Result<std::unique_ptr<auditlog::WritableFile>> NewWritableFile(
      const fs::path& path, auditlog::OpenMode mode) override {
    auto f = target()->NewWritableFile(path, mode);
    if (!f.ok()) return f.status();
    return std::unique_ptr<auditlog::WritableFile>(new NoSyncFile(std::move(f).value()));
  }
  auditlog::Status SyncDir(const fs::path&) override { return auditlog::Status::Ok(); }
};

constexpr std::size_t kTemplates = 4096;
constexpr const char* kRareActor = "mallory";

std::string Printf(const char* fmt, std::uint64_t a, std::uint64_t b = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

// What an inference platform's gateway and workers log; ~475-byte records on average.
// One template in 1024 is a critical auth_failure of kRareActor with an ANSI escape in the
// user name (neutralized, so the record has a "sanitized" member).
auditlog::Event MixEvent(std::uint64_t i) {
  using namespace auditlog;
  const std::uint64_t h = (i * 2654435761u) & 0xffffff;
  auto actor = [&] {
    return ActorInfo{.user_id = Printf("token:%06" PRIx64, h),
                     .ip = IpAddr(Printf("10.%" PRIu64 ".%" PRIu64 ".17", i % 200, 1 + h % 250)),
                     .auth_method = AuthMethod::kBearerToken,
                     .session_id = Printf("s-%08" PRIx64, h * 977)};
  };
  if (i % 1024 == 1023) {
    return AuthFailure{.attempted_user = std::string(kRareActor) + "\x1b[2J",
                       .reason = "bad_password",
                       .ip = IpAddr(Printf("203.0.113.%" PRIu64, 1 + i % 250)),
                       .path = "/v2/tasks/submit",
                       .service_id = "gateway"};
  }
  switch (i % 8) {
    case 0:
    case 4:
      return AuthSuccess{.actor = actor(),
                         .method = AuthMethod::kBearerToken,
                         .path = "/v2/chat",
                         .service_id = "gateway"};
    case 2:
      if (i % 16 == 2) {
        return AuthorizationGranted{
            .actor = actor(),
            .resource = {.resource_type = "model",
                         .resource_id = Printf("llama-3-70b-q%" PRIu64, i % 8),
                         .parent_id = Printf("pool-%04" PRIu64, i % 64)},
            .action = "inference.run"};
      }
      [[fallthrough]];
    case 1:
    case 5:
    case 7:
      return TaskCompleted{.task_id = Printf("task-%09" PRIu64, i * 7919),
                           .worker_id = Printf("gpu-%02" PRIu64, i % 16),
                           .tokens_generated = 100 + (i * 37) % 4000,
                           .duration_ms = 20 + (i * 13) % 5000,
                           .result = i % 50 == 0 ? AuditResult::Failure("worker out of memory")
                                                 : AuditResult::Success()};
    case 3:
      if (i % 16 == 3) break;  // vram_allocated
      return TaskSubmitted{
          .actor = actor(),
          .task_id = Printf("task-%09" PRIu64, i * 7919),
          .model_ref = Printf("llama-3-70b@rev%" PRIu64, i % 5),
          .prompt_length = 200 + (i * 31) % 8000,
          .prompt_hash = Printf("%016" PRIx64 "%016" PRIx64, h * 0x9e3779b97f4a7c15ull, i) +
                         Printf("%016" PRIx64 "%016" PRIx64, i * 0xff51afd7ed558ccdull, h),
          .max_tokens = 4096};
    case 6:
      return InferenceExecuted{.customer_id = Printf("cust-%08" PRIu64, h % 100000),
                               .job_id = Printf("job-%09" PRIu64, i * 104729),
                               .model_ref = Printf("llama-3-70b@rev%" PRIu64, i % 5),
                               .tokens_processed = 500 + (i * 53) % 20000,
                               .provider_id = Printf("provider-%02" PRIu64, i % 12),
                               .result = AuditResult::Success()};
  }
  return VramAllocated{.requested_bytes = (1ull << 30) + i % 1000 * 4096,
                       .allocated_bytes = (1ull << 30) + i % 1000 * 4096,
                       .available_bytes = 80ull << 30,
                       .used_bytes = (40ull << 30) + (i % 977) * 1048576,
                       .gpu_device = static_cast<std::uint32_t>(i % 8),
                       .worker_id = Printf("gpu-%02" PRIu64, i % 16)};
}

}  // namespace

auditlog::Status GenerateReadBenchLog(const ReadBenchOptions& o, ReadBenchResult* r) {
  NoSyncEnv no_sync;
  auditlog::Env* env = &no_sync;
  namespace internal = auditlog::internal;
  std::vector<internal::EncodedEvent> templates(kTemplates);
  for (std::size_t i = 0; i < kTemplates; ++i) {
    AUDITLOG_RETURN_IF_ERROR(internal::EncodeEvent(MixEvent(i), {}, &templates[i]));
  }
  internal::RecordWriter::Options wo;
  wo.env = env;
  wo.dir = o.dir;
  wo.service_id = "gateway";
  wo.rotation = auditlog::RotationPolicy::SizeLimit(o.segment_bytes);
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<internal::RecordWriter> w,
                            internal::RecordWriter::Open(wo));
  std::int64_t ts = 1795743462000000;  // 2026-11-27T00:57:42Z
  std::string batch;
  std::uint64_t written = 0;
  for (std::uint64_t i = 0; written < o.log_bytes; ++i) {
    batch.clear();
    for (int k = 0; k < 2048; ++k, ++i) {
      w->Frame(ts, templates[i % kTemplates], &batch);
      ts += 137;
      ++r->records;
    }
    AUDITLOG_RETURN_IF_ERROR(w->Write(batch));
    written += batch.size();
    if (w->segment_bytes() >= o.segment_bytes && written < o.log_bytes) {
      AUDITLOG_RETURN_IF_ERROR(w->Rotate());
    }
  }
  AUDITLOG_RETURN_IF_ERROR(w->Close());
  r->bytes = written;
  r->segments = w->segment_index();
  r->record_bytes = static_cast<double>(written) / static_cast<double>(r->records);
  return auditlog::Status::Ok();
}

namespace {

auditlog::Status TimeVerify(const fs::path& dir, unsigned threads, const ReadBenchResult& r,
                            double* seconds) {
  auditlog::VerifyOptions vo;
  vo.threads = threads;
  const auto start = Clock::now();
  AUDITLOG_ASSIGN_OR_RETURN(auditlog::VerifyReport report, auditlog::Verify(dir, vo));
  *seconds = Seconds(Clock::now() - start);
  if (!report.findings.empty() || report.records != r.records) {
    return auditlog::Status::Corruption(
        "verify of the generated log: " + std::to_string(report.findings.size()) + " findings, " +
        std::to_string(report.records) + " of " + std::to_string(r.records) + " records" +
        (report.findings.empty() ? "" : " (first: " + report.findings[0].reason + ")"));
  }
  return auditlog::Status::Ok();
}

auditlog::Status TimeQuery(const fs::path& dir, const auditlog::Query& q, std::uint64_t* matched,
                           double* seconds) {
  const auto start = Clock::now();
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<auditlog::QueryCursor> c,
                            auditlog::QueryCursor::Open(dir, q));
  auditlog::Record rec;
  *matched = 0;
  for (;;) {
    AUDITLOG_ASSIGN_OR_RETURN(const bool more, c->Next(&rec));
    if (!more) break;
    ++*matched;
  }
  *seconds = Seconds(Clock::now() - start);
  if (c->malformed_lines() != 0) return auditlog::Status::Corruption("query saw malformed lines");
  return auditlog::Status::Ok();
}

auditlog::Status Run(const ReadBenchOptions& o, ReadBenchResult* r) {
  const auto start = Clock::now();
  AUDITLOG_RETURN_IF_ERROR(GenerateReadBenchLog(o, r));
  r->generate_seconds = Seconds(Clock::now() - start);
  const double mb = static_cast<double>(r->bytes) / 1e6;
  AUDITLOG_RETURN_IF_ERROR(TimeVerify(o.dir, 2, *r, &r->verify2_seconds));
  r->verify2_mb_per_sec = mb / r->verify2_seconds;
  AUDITLOG_RETURN_IF_ERROR(TimeVerify(o.dir, 1, *r, &r->verify1_seconds));
  r->verify1_mb_per_sec = mb / r->verify1_seconds;

  auditlog::Query rare;
  rare.actor = std::string(kRareActor) + "<U+001B>[2J";  // as neutralized in the record
  AUDITLOG_RETURN_IF_ERROR(TimeQuery(o.dir, rare, &r->rare_matched, &r->rare_seconds));
  r->rare_records_per_sec = static_cast<double>(r->records) / r->rare_seconds;
  if (r->rare_matched == 0 || r->rare_matched * 500 > r->records) {
    return auditlog::Status::Corruption("the rare query matched " +
                                        std::to_string(r->rare_matched) + " records");
  }
  AUDITLOG_RETURN_IF_ERROR(TimeQuery(o.dir, auditlog::Query{}, &r->full_matched, &r->full_seconds));
  r->full_records_per_sec = static_cast<double>(r->records) / r->full_seconds;
  if (r->full_matched != r->records)
    return auditlog::Status::Corruption("the full scan missed records");
  return auditlog::Status::Ok();
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

ReadBenchResult RunReadBench(const ReadBenchOptions& options) {
  ReadBenchResult r;
  std::error_code ec;
  fs::remove_all(options.dir, ec);
  const auditlog::Status s = Run(options, &r);
  r.ok = s.ok();
  if (!s.ok()) r.error = s.ToString();
  fs::remove_all(options.dir, ec);
  return r;
}

void PrintReadBenchTable(const ReadBenchResult& r, std::FILE* out) {
  std::fprintf(out, "\n%s\n", kReadCaseName);
  if (!r.ok) {
    std::fprintf(out, "  ERROR: %s\n", r.error.c_str());
    return;
  }
  std::fprintf(out,
               "log: %.2f GB (10^9 bytes), %" PRIu64 " records of ~%.0f bytes, %" PRIu64
               " segments; generated in %.1f s; warm page cache\n\n",
               static_cast<double>(r.bytes) / 1e9, r.records, r.record_bytes, r.segments,
               r.generate_seconds);
  std::fprintf(out, "| operation | seconds | throughput |\n| --- | ---: | ---: |\n");
  std::fprintf(out, "| verify, 2 threads | %.2f | %.0f MB/s |\n", r.verify2_seconds,
               r.verify2_mb_per_sec);
  std::fprintf(out, "| verify, 1 thread | %.2f | %.0f MB/s |\n", r.verify1_seconds,
               r.verify1_mb_per_sec);
  std::fprintf(out, "| query --actor (%" PRIu64 " matches) | %.2f | %.0f records/s |\n",
               r.rare_matched, r.rare_seconds, r.rare_records_per_sec);
  std::fprintf(out, "| query, full scan (every record) | %.2f | %.0f records/s |\n", r.full_seconds,
               r.full_records_per_sec);
}

std::string ReadBenchJsonMember(const ReadBenchResult* r) {
  if (r == nullptr) return "";
  std::string s = ",\n  \"read\": {\"name\": \"";
  s += kReadCaseName;
  s += "\", \"ok\": ";
  s += r->ok ? "true" : "false";
  s += ", \"error\": \"";
  for (char c : r->error) {
    if (c == '"' || c == '\\') s += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) s += c;
  }
  s += "\", \"bytes\": " + std::to_string(r->bytes) +
       ", \"records\": " + std::to_string(r->records) +
       ", \"segments\": " + std::to_string(r->segments) +
       ", \"record_bytes_avg\": " + Num(r->record_bytes) +
       ", \"generate_seconds\": " + Num(r->generate_seconds) +
       ", \"verify_threads2\": {\"seconds\": " + Num(r->verify2_seconds) +
       ", \"mb_per_sec\": " + Num(r->verify2_mb_per_sec) + "}" +
       ", \"verify_threads1\": {\"seconds\": " + Num(r->verify1_seconds) +
       ", \"mb_per_sec\": " + Num(r->verify1_mb_per_sec) + "}" +
       ", \"query_rare_actor\": {\"matched\": " + std::to_string(r->rare_matched) +
       ", \"seconds\": " + Num(r->rare_seconds) +
       ", \"records_per_sec\": " + Num(r->rare_records_per_sec) + "}" +
       ", \"query_full_scan\": {\"matched\": " + std::to_string(r->full_matched) +
       ", \"seconds\": " + Num(r->full_seconds) +
       ", \"records_per_sec\": " + Num(r->full_records_per_sec) + "}}";
  return s;
}

}  // namespace bench
