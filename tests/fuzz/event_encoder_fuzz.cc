// libFuzzer target: internal::EncodeEvent on a CustomEvent whose type name, member names and
// Value tree (strings of arbitrary bytes, integers, booleans, string lists, nested objects)
// come from the fuzz bytes. Property: what the writer accepts the readers accept — an
// encoded event, framed as a record, parses with RecordParser with a matching hash, the
// same event type and the same criticality.
#include <string>
#include <vector>

#include "auditlog/events.h"
#include "format/event_codec.h"
#include "format/record_format.h"
#include "fuzz_util.h"

namespace {

using auditlog::Object;
using auditlog::StringList;
using auditlog::Value;
using auditlog::fuzz::ByteReader;

// Well past kMaxNestingDepth (64), so the target also checks that Emit cuts over-deep values
// into something every reader accepts. Counts nested objects in fields.
constexpr int kFuzzMaxNesting = 200;
// Bounds the work per input (members and list items over the whole tree).
constexpr int kMaxNodes = 400;

const char* const kNames[] = {"invoice_id", "amount", "user_id", "actor", "a",  "resource",
                              "event_type", "hash",   "seq",     "v",     "x1", "nested_obj"};

std::string Name(ByteReader& in) {
  const std::uint8_t b = in.Byte();
  if (b < 200) return kNames[b % std::size(kNames)];
  return in.String(80);  // arbitrary bytes: usually rejected, which must be clean
}

Value MakeValue(ByteReader& in, int depth, int* nodes);

Object MakeObject(ByteReader& in, int depth, int* nodes) {
  Object o;
  const int n = in.Byte() % 8;
  for (int i = 0; i < n && *nodes < kMaxNodes && !in.empty(); ++i) {
    ++*nodes;
    std::string name = Name(in);
    o.push_back({std::move(name), MakeValue(in, depth, nodes)});
  }
  return o;
}

Value MakeValue(ByteReader& in, int depth, int* nodes) {
  switch (in.Byte() % 6) {
    case 0:
      return Value(in.String(255));
    case 1:
      return Value(static_cast<std::int64_t>(in.U64()));
    case 2:
      return Value((in.Byte() & 1) != 0);
    case 3: {
      StringList l;
      const int n = in.Byte() % 6;
      for (int i = 0; i < n && *nodes < kMaxNodes; ++i, ++*nodes) l.push_back(in.String(64));
      return Value(std::move(l));
    }
    case 4:
      if (depth + 1 < kFuzzMaxNesting) return Value(MakeObject(in, depth + 1, nodes));
      return Value(std::string("deep"));
    default: {
      // A long string: cut at max_field_bytes, recorded as truncated.
      const std::size_t n = 1 + in.Byte() * 40;
      const char c = static_cast<char>(in.Byte());
      return Value(std::string(n, c));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace auditlog::internal;
  ByteReader in(data, size);
  auditlog::CustomEvent e;
  const std::uint8_t t = in.Byte();
  e.event_type = t < 230 ? std::string("fuzz_event") : in.String(80);
  e.criticality =
      (in.Byte() & 1) ? auditlog::Criticality::kCritical : auditlog::Criticality::kRoutine;
  EncodeOptions options;
  options.max_field_bytes = 1 + static_cast<std::size_t>(in.Byte()) * 8;
  int nodes = 0;
  e.fields = MakeObject(in, 0, &nodes);
  while (!in.empty() && nodes < kMaxNodes) {  // use the rest of the input too
    const Object more = MakeObject(in, 0, &nodes);
    e.fields.insert(e.fields.end(), more.begin(), more.end());
  }

  EncodedEvent encoded;
  const auditlog::Status s = EncodeEvent(auditlog::Event(e), options, &encoded);
  if (!s.ok()) {
    FUZZ_CHECK(!s.message().empty(), "a rejection names its reason");
    return 0;
  }
  std::string line;
  char hash[64];
  FrameRecord(1, 1795741062123456, "fuzz", encoded.critical, encoded.body, kGenesisHash, &line,
              hash);
  FUZZ_CHECK(!line.empty() && line.back() == '\n', "framed line ends in a newline");
  line.pop_back();
  FUZZ_CHECK(line.find('\n') == std::string::npos, line);
  static RecordParser* parser = new RecordParser();
  RecordView view;
  const auditlog::Status p = parser->Parse(line, &view);
  FUZZ_CHECK(p.ok(), p.ToString() + "\n" + line.substr(0, 2000));
  FUZZ_CHECK(view.hash_matches && view.hash == std::string_view(hash, 64), line.substr(0, 2000));
  FUZZ_CHECK(view.event_type == e.event_type, std::string(view.event_type));
  FUZZ_CHECK(view.critical == encoded.critical, "critical");
  FUZZ_CHECK(view.seq == 1 && view.prev_hash == kGenesisHash, "envelope");
  return 0;
}
