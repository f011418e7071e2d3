#include "engine_util.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "format/record_format.h"
#include "test_util.h"

namespace auditlog::testing {

Event NumberedEvent(int producer, std::int64_t n, bool critical) {
  return CustomEvent{.event_type = "test_event",
                     .fields = {{"producer", producer}, {"n", n}},
                     .criticality = critical ? Criticality::kCritical : Criticality::kRoutine};
}

std::vector<LogRecord> ReadRecords(const std::filesystem::path& dir) {
  std::vector<LogRecord> out;
  internal::RecordParser parser;
  for (const auto& segment : SegmentFiles(dir)) {
    const std::string data = ReadFile(segment);
    std::size_t start = 0;
    while (start < data.size()) {
      const std::size_t nl = data.find('\n', start);
      if (nl == std::string::npos) break;  // a torn tail is not a record
      const std::string_view line(data.data() + start, nl - start);
      start = nl + 1;
      internal::RecordView view;
      Status s = parser.Parse(line, &view);
      if (!s.ok() || !view.hash_matches) {
        ADD_FAILURE() << segment << ": bad record: " << s.ToString();
        continue;
      }
      LogRecord r;
      r.seq = view.seq;
      r.ts_micros = view.ts_micros;
      r.critical = view.critical;
      r.event_type = std::string(view.event_type);
      r.event_json = std::string(view.event_json);
      if (r.event_type == "test_event") {
        const auto j = nlohmann::json::parse(r.event_json);
        r.producer = j.at("producer").get<std::int64_t>();
        r.n = j.at("n").get<std::int64_t>();
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace auditlog::testing
