// auditlog-bench's table and JSON report; see report.h.
#include "report.h"

#include <cinttypes>
#include <cstdio>
#include <string>
#include <string_view>

namespace bench {

std::string Group(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  const std::size_t dot = s.find('.');
  std::size_t end = dot == std::string::npos ? s.size() : dot;
  const std::size_t begin = (s[0] == '-') ? 1 : 0;
  for (std::size_t i = end; i > begin + 3; i -= 3) s.insert(i - 3, ",");
  return s;
}

std::string Num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

namespace {

std::string Latency(double us) { return us >= 100 ? Group(us) : Num(us, us >= 10 ? 1 : 2); }

std::string CaseLabel(const Row& row) { return row.spec.name; }

}  // namespace

void PrintTable(const std::vector<Row>& rows, std::FILE* out) {
  std::fprintf(out,
               "| case | events | events/s | fsyncs | events/fsync | p50 us | p99 us | p99.9 us | "
               "allocs/call | peak RSS MB |\n");
  std::fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& row : rows) {
    const CaseResult& r = row.r;
    if (row.spec.kind == Kind::kDisabled || row.spec.kind == Kind::kMemory) continue;
    if (!r.ok && r.events == 0) {
      std::fprintf(out, "| %s | FAILED: %s | | | | | | | | |\n", CaseLabel(row).c_str(), r.error);
      continue;
    }
    const bool has_fsync = row.spec.kind != Kind::kSpdlog;
    std::fprintf(out, "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f |\n",
                 CaseLabel(row).c_str(), r.ok ? "" : " (ERROR, see below)",
                 Group(double(r.events)).c_str(), Group(r.events_per_sec).c_str(),
                 has_fsync ? Group(double(r.fsyncs)).c_str() : "-",
                 has_fsync && r.fsyncs ? Num(double(r.events) / double(r.fsyncs), 1).c_str() : "-",
                 Latency(r.p50_us).c_str(), Latency(r.p99_us).c_str(), Latency(r.p999_us).c_str(),
                 r.allocs_per_call < 0 ? "-" : Num(r.allocs_per_call, 2).c_str(), r.peak_rss_mb);
  }
  for (const auto& row : rows) {
    if (!row.r.ok) std::fprintf(out, "\nERROR in %s: %s\n", CaseLabel(row).c_str(), row.r.error);
  }
  for (const auto& row : rows) {
    const CaseResult& r = row.r;
    if (row.spec.kind == Kind::kDisabled && r.ok) {
      std::fprintf(out,
                   "\nDisabledMode: %.1f ns per Emit (beyond copying the event), %.2f allocations "
                   "per Emit\n",
                   r.ns_per_op, r.allocs_per_call);
    }
    if (row.spec.kind == Kind::kMemory && r.events > 0) {
      std::fprintf(out, "\nMemory (%s): %s events at %s events/s, peak RSS %.1f MB; RSS as it ran:",
                   row.spec.name.c_str(), Group(double(r.events)).c_str(),
                   Group(r.events_per_sec).c_str(), r.peak_rss_mb);
      for (int i = 0; i < r.rss_samples; ++i) {
        std::fprintf(out, "%s %s: %.1f MB", i ? "," : "", Group(double(r.rss_at_events[i])).c_str(),
                     r.rss_mb[i]);
      }
      std::fprintf(out, "\n");
    }
  }
}

namespace {

std::string JsonString(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += c;
    }
  }
  return o + "\"";
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kRawFsync:
      return "raw_fsync";
    case Kind::kRawFsyncBusy:
      return "raw_fsync_busy_cpus";
    case Kind::kAuditlog:
      return "auditlog";
    case Kind::kSeed:
      return "seed";
    case Kind::kSpdlog:
      return "spdlog";
    case Kind::kDisabled:
      return "disabled";
    case Kind::kMemory:
      return "memory";
    case Kind::kLatency:
      return "latency";
  }
  return "?";
}

std::string JsonNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void PrintJson(const Machine& m, const Options& o, const std::vector<Row>& rows,
               const std::vector<Target>& targets, std::FILE* out, const ReadBenchResult* read) {
  std::fprintf(
      out, "{\n  \"machine\": {\"cpus\": %u, \"cpu_model\": %s, \"fs_type\": %s, \"dir\": %s},\n",
      m.cpus, JsonString(m.cpu_model).c_str(), JsonString(m.fs_type).c_str(),
      JsonString(m.dir).c_str());
  std::fprintf(out, "  \"commit\": %s,\n  \"quick\": %s,\n  \"record_bytes_avg\": %s,\n",
               JsonString(m.commit).c_str(), o.quick ? "true" : "false",
               JsonNumber(m.record_bytes).c_str());
  std::fprintf(out, "  \"cases\": [\n");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& s = rows[i].spec;
    const auto& r = rows[i].r;
    std::fprintf(
        out,
        "    {\"name\": %s, \"system\": \"%s\", \"mode\": %s, \"producers\": %d, \"durable\": %s, "
        "\"ok\": %s, \"error\": %s, \"events\": %" PRIu64 ", \"rejected\": %" PRIu64
        ", \"seconds\": %s, \"events_per_sec\": %s, \"fsyncs\": %" PRIu64
        ", \"events_per_fsync\": %s, \"bytes\": %" PRIu64
        ", \"latency_us\": {\"p50\": %s, \"p99\": %s, \"p999\": %s, \"max\": %s}, "
        "\"allocs_per_call\": %s, \"peak_rss_mb\": %s, \"queue_high_water\": %" PRIu64
        ", \"queue_capacity\": %" PRIu64,
        JsonString(s.name).c_str(), KindName(s.kind), JsonString(ModeName(s.mode)).c_str(),
        s.producers, s.durable ? "true" : "false", r.ok ? "true" : "false",
        JsonString(r.error).c_str(), r.events, r.rejected, JsonNumber(r.seconds).c_str(),
        JsonNumber(r.events_per_sec).c_str(), r.fsyncs,
        JsonNumber(r.fsyncs ? double(r.events) / double(r.fsyncs) : 0).c_str(), r.bytes,
        JsonNumber(r.p50_us).c_str(), JsonNumber(r.p99_us).c_str(), JsonNumber(r.p999_us).c_str(),
        JsonNumber(r.max_us).c_str(), JsonNumber(r.allocs_per_call).c_str(),
        JsonNumber(r.peak_rss_mb).c_str(), r.queue_high_water, r.queue_capacity);
    if (s.kind == Kind::kDisabled)
      std::fprintf(out, ", \"ns_per_emit\": %s", JsonNumber(r.ns_per_op).c_str());
    if (s.kind == Kind::kMemory) {
      std::fprintf(out, ", \"rss_samples\": [");
      for (int k = 0; k < r.rss_samples; ++k) {
        std::fprintf(out, "%s{\"events\": %" PRIu64 ", \"rss_mb\": %s}", k ? ", " : "",
                     r.rss_at_events[k], JsonNumber(r.rss_mb[k]).c_str());
      }
      std::fprintf(out, "]");
    }
    std::fprintf(out, "}%s\n", i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(out, "  ],\n  \"targets\": [\n");
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::fprintf(out, "    {\"verdict\": \"%s\", \"text\": %s}%s\n", targets[i].verdict.c_str(),
                 JsonString(targets[i].text).c_str(), i + 1 < targets.size() ? "," : "");
  }
  std::fprintf(out, "  ]%s\n}\n", ReadBenchJsonMember(read).c_str());
}

}  // namespace bench
