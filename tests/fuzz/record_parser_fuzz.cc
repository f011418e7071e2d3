// libFuzzer target: internal::RecordParser::Parse on one line (the input, without '\n').
// Properties: it never crashes, and what it accepts is valid JSON whose stored timestamp
// and hash say what the parser reports.
#include <nlohmann/json.hpp>

#include "format/record_format.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace auditlog::internal;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  static RecordParser* parser = new RecordParser();  // reused, as the readers do
  RecordView view;
  const auditlog::Status s = parser->Parse(line, &view);
  if (!s.ok()) {
    FUZZ_CHECK(!s.message().empty(), "a rejection names its reason");
    return 0;
  }
  FUZZ_CHECK(nlohmann::json::accept(line), "accepted line is JSON");
  FUZZ_CHECK(view.seq >= 1, std::to_string(view.seq));
  const auto ts = ParseRecordTimestamp(view.timestamp);
  FUZZ_CHECK(ts.has_value() && *ts == view.ts_micros, std::string(view.timestamp));
  FUZZ_CHECK(IsLowerHex64(view.hash) && IsLowerHex64(view.prev_hash), "hashes are hex");
  FUZZ_CHECK(line.size() > kHashSuffixBytes, "room for the hash member");
  FUZZ_CHECK(view.hash_matches == (ComputeLineHash(line) == view.hash), "hash_matches");
  FUZZ_CHECK(nlohmann::json::accept(view.event_json), "event member is JSON");
  return 0;
}
