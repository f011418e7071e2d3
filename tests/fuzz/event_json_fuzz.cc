// libFuzzer target: EventFromJson on arbitrary bytes (the text a C API caller or an auditlogd
// client sends). Properties: no crash, hang or unbounded memory; a refusal names its
// reason; whatever is decoded, Emit's encoder handles (accepts, or refuses naming the field),
// its record parses with a matching hash; and an event that needed no neutralization
// decodes back from its own record text to the same text.
#include <string>
#include <string_view>

#include "auditlog/event_json.h"
#include "format/event_codec.h"
#include "format/record_format.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace auditlog::internal;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static auditlog::EventJsonDecoder* decoder = new auditlog::EventJsonDecoder();
  const bool critical = size > 0 && (data[size - 1] & 1);
  auto event = decoder->Decode(
      text, critical ? auditlog::Criticality::kCritical : auditlog::Criticality::kRoutine);
  if (!event.ok()) {
    FUZZ_CHECK(event.status().message().rfind("event", 0) == 0, event.status().message());
    return 0;
  }
  EncodedEvent encoded;
  const auditlog::Status s = EncodeEvent(*event, {}, &encoded);
  if (!s.ok()) {
    FUZZ_CHECK(!s.message().empty(), "a rejection names its reason");
    return 0;
  }
  std::string line;
  char hash[64];
  FrameRecord(1, 1795741062123456, "fuzz", encoded.critical, encoded.body, kGenesisHash, &line,
              hash);
  line.pop_back();
  static RecordParser* parser = new RecordParser();
  RecordView view;
  const auditlog::Status p = parser->Parse(line, &view);
  FUZZ_CHECK(p.ok(), p.ToString() + "\n" + line.substr(0, 2000));
  FUZZ_CHECK(view.hash_matches, line.substr(0, 2000));

  if (encoded.altered_fields == 0) {
    const std::string_view prefix = "\"event\":";
    const std::string event_text = encoded.body.substr(prefix.size());
    auto again = decoder->Decode(
        event_text, critical ? auditlog::Criticality::kCritical : auditlog::Criticality::kRoutine);
    FUZZ_CHECK(again.ok(), again.status().ToString() + "\n" + event_text.substr(0, 2000));
    EncodedEvent reencoded;
    FUZZ_CHECK(EncodeEvent(*again, {}, &reencoded).ok(), event_text.substr(0, 2000));
    FUZZ_CHECK(reencoded.body == encoded.body, event_text.substr(0, 2000));
  }
  return 0;
}
