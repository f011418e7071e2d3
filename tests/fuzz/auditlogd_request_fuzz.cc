// libFuzzer target: auditlogd's request parser (daemon/protocol.h) and the event decoder it
// hands to, on arbitrary bytes (a line a hostile client sends). Properties: no crash, hang
// or unbounded memory; a refusal names its place; every response the daemon would write is
// one line of valid JSON echoing a valid id; and a request that is accepted all the way
// (parser and decoder) is valid JSON by an independent parser, so the structural skip over
// the event never lets malformed text through.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auditlog/event_json.h"
#include "fuzz_util.h"
#include "protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  if (line.find('\n') != std::string_view::npos) return 0;  // framing splits lines first
  static auto* parser = new auditlogd::RequestParser();
  static auto* decoder = new auditlog::EventJsonDecoder();
  const auditlogd::Request r = parser->Parse(line);

  std::string response;
  if (!r.status.ok()) {
    const std::string& m = r.status.message();
    FUZZ_CHECK(m.rfind("request", 0) == 0 || m.rfind("event", 0) == 0 || m.rfind("id", 0) == 0 ||
                   m.rfind("durable", 0) == 0 || m.rfind("critical", 0) == 0,
               m);
    auditlogd::AppendError(r.id, r.status, &response);
  } else {
    auto event = decoder->Decode(r.event_json, r.critical ? auditlog::Criticality::kCritical
                                                          : auditlog::Criticality::kRoutine);
    if (event.ok()) {
      FUZZ_CHECK(nlohmann::json::accept(line), std::string(line.substr(0, 2000)));
      auditlogd::AppendSuccess(r.id, 1, r.durable, &response);
    } else {
      FUZZ_CHECK(event.status().message().rfind("event", 0) == 0, event.status().message());
      auditlogd::AppendError(r.id, event.status(), &response);
    }
  }
  FUZZ_CHECK(
      !response.empty() && response.back() == '\n' && response.find('\n') == response.size() - 1,
      response.substr(0, 2000));
  const auto json = nlohmann::json::parse(response, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(json.is_object() && json.contains("id"), response.substr(0, 2000));
  return 0;
}
