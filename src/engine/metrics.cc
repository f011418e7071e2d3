// Prometheus text rendering of Stats; see metrics.h.
#include "engine/metrics.h"

#include <cstdio>
#include <string_view>

namespace auditlog::internal {
namespace {

class Writer {
 public:
  explicit Writer(std::string* out) : out_(*out) {}

  void Header(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP auditlog_";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE auditlog_";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void Sample(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += "auditlog_";
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  void Counter(std::string_view name, std::string_view help, std::uint64_t v) {
    Header(name, "counter", help);
    Sample(name, {}, Uint(v));
  }
  void Gauge(std::string_view name, std::string_view help, double v) {
    Header(name, "gauge", help);
    Sample(name, {}, Double(v));
  }

  void Histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
    Header(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
      cumulative += h.counts[i];
      const double le = static_cast<double>(std::uint64_t{1} << i) / 1e6;
      Sample(bucket, "le=\"" + Double(le) + "\"", Uint(cumulative));
    }
    Sample(bucket, "le=\"+Inf\"", Uint(h.total));
    Sample(std::string(name) + "_sum", {}, Double(static_cast<double>(h.sum_micros) / 1e6));
    Sample(std::string(name) + "_count", {}, Uint(h.total));
  }

  static std::string Uint(std::uint64_t v) { return std::to_string(v); }
  static std::string Double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }

 private:
  std::string& out_;
};

}  // namespace

std::string RenderMetricsText(const Stats& s) {
  std::string out;
  out.reserve(8192);
  Writer w(&out);
  w.Counter("events_emitted_total", "Events accepted by Emit (each got a seq).", s.events_emitted);
  w.Counter("events_written_total", "Events handed to the kernel (write returned).",
            s.events_written);
  w.Gauge("durable_seq", "Highest seq such that every record up to it is fsync'ed.",
          static_cast<double>(s.durable_seq));
  w.Header("events_rejected_total", "counter", "Emit calls refused, by reason.");
  w.Sample("events_rejected_total", "reason=\"invalid\"", Writer::Uint(s.rejected_invalid));
  w.Sample("events_rejected_total", "reason=\"buffer_full\"", Writer::Uint(s.rejected_buffer_full));
  w.Sample("events_rejected_total", "reason=\"timeout\"", Writer::Uint(s.rejected_timeout));
  w.Sample("events_rejected_total", "reason=\"disk_space_low\"", Writer::Uint(s.rejected_disk_low));
  w.Sample("events_rejected_total", "reason=\"failed\"", Writer::Uint(s.rejected_failed));
  w.Counter("neutralized_fields_total", "String fields altered by sanitization.",
            s.neutralized_fields);
  w.Counter("critical_events_total", "Critical events accepted.", s.critical_events);
  w.Gauge("events_since_sync", "Events written but not yet fsync'ed.",
          static_cast<double>(s.events_since_sync));
  w.Gauge("flush_batch_size",
          "The flush mode's batch size (0 for Immediate); events_since_sync stays below it.",
          static_cast<double>(s.flush_batch_size));
  w.Gauge("flush_interval_seconds", "The flush mode's batch interval (0 for Immediate).",
          static_cast<double>(s.flush_interval_micros) / 1e6);
  w.Counter("fsyncs_total", "Successful fsyncs of the log.", s.fsyncs);
  w.Gauge(
      "seconds_since_last_fsync", "Time since the last successful fsync (-1: none yet).",
      s.micros_since_last_fsync < 0 ? -1.0 : static_cast<double>(s.micros_since_last_fsync) / 1e6);
  w.Gauge("queue_depth_events", "Events queued, not yet taken by the writer.",
          static_cast<double>(s.queue_depth_events));
  w.Gauge("queue_depth_bytes", "Encoded bytes queued, not yet taken by the writer.",
          static_cast<double>(s.queue_depth_bytes));
  w.Gauge("queue_high_water_events", "Highest queue depth seen, in events.",
          static_cast<double>(s.queue_high_water_events));
  w.Gauge("queue_high_water_bytes", "Highest queue depth seen, in bytes.",
          static_cast<double>(s.queue_high_water_bytes));
  w.Counter("bytes_written_total", "Bytes handed to the kernel.", s.bytes_written);
  w.Counter("segments_created_total", "Segment files started by this logger.", s.segments_created);
  w.Counter("write_errors_total", "Failed write attempts (the batch is kept and retried).",
            s.write_errors);
  w.Gauge("writes_failing", "1 while the writer is retrying a failed write.",
          s.writes_failing ? 1 : 0);
  w.Histogram("write_latency_seconds", "Duration of each batch write.", s.write_latency);
  w.Histogram("fsync_latency_seconds", "Duration of each fsync.", s.fsync_latency);
  w.Gauge("failed", "1 once the logger is in its failed (sticky error) state.", s.failed ? 1 : 0);
  return out;
}

}  // namespace auditlog::internal
