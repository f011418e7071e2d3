// libFuzzer target: internal::Manifest::Parse on the input. Properties: no crash and no
// exception (libFuzzer reports an escaping exception as a crash), and an accepted manifest
// survives a round trip: Parse(ToJson(m)) succeeds and prints the same.
#include "format/manifest.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using auditlog::internal::Manifest;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = Manifest::Parse(text);
  if (!m.ok()) {
    FUZZ_CHECK(!m.status().message().empty(), "a rejection names its reason");
    return 0;
  }
  const std::string json = m->ToJson();
  auto again = Manifest::Parse(json);
  FUZZ_CHECK(again.ok(), again.status().ToString() + "\n" + json);
  FUZZ_CHECK(again->ToJson() == json, json);
  return 0;
}
