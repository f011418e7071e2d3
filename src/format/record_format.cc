// Record framing and parsing; see record_format.h and docs/FORMAT.md.
#include "format/record_format.h"

#include <simdjson.h>

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "auditlog/limits.h"
#include "format/member_names.h"
#include "format/sanitize.h"
#include "util/civil_time.h"
#include "util/json_writer.h"
#include "util/port/simd_scan.h"
#include "util/sha256.h"

namespace auditlog::internal {

std::string ComputeLineHash(std::string_view line) {
  return Sha256Hex(line.substr(0, line.size() - kHashSuffixBytes));
}

std::string MakeAuditId(std::string_view service_id, std::uint64_t seq) {
  std::string id(service_id);
  id += '-';
  AppendUint(seq, &id);
  return id;
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  // Branch-free (hex digits are random, so a per-byte branch mispredicts half the time);
  // the compiler vectorizes the loop.
  unsigned bad = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    bad |= static_cast<unsigned>(static_cast<unsigned char>(c - '0') > 9) &
           static_cast<unsigned>(static_cast<unsigned char>(c - 'a') > 5);
  }
  return bad == 0;
}

void FrameRecord(std::uint64_t seq, std::int64_t ts_micros, std::string_view service_id,
                 bool critical, std::string_view body, std::string_view prev_hash, std::string* out,
                 char hash_out[64]) {
  const std::size_t start = out->size();
  out->append("{\"v\":1,\"seq\":");
  AppendUint(seq, out);
  // service_id is validated at Logger::Open to [A-Za-z0-9._-], so it needs no escaping.
  out->append(",\"audit_id\":\"");
  out->append(service_id);
  out->push_back('-');
  AppendUint(seq, out);
  out->append("\",\"timestamp\":\"");
  AppendTimestamp(ts_micros, out);
  out->append("\",\"service_id\":\"");
  out->append(service_id);
  out->append(critical ? "\",\"critical\":true," : "\",\"critical\":false,");
  out->append(body);
  out->append(",\"prev_hash\":\"");
  out->append(prev_hash);
  out->push_back('"');
  ToHex(Sha256(std::string_view(*out).substr(start)), hash_out);
  out->append(kHashMemberPrefix);
  out->append(hash_out, 64);
  out->append("\"}\n");
}

void AppendOrigin(std::uint32_t uid, std::uint32_t gid, std::uint32_t pid, std::string_view exe,
                  std::string* body) {
  body->append(",\"origin\":{\"uid\":");
  AppendUint(uid, body);
  body->append(",\"gid\":");
  AppendUint(gid, body);
  body->append(",\"pid\":");
  AppendUint(pid, body);
  body->append(",\"exe\":");
  if (IsAlreadySafe(exe, kMaxOriginExeBytes)) {
    AppendJsonString(exe, body);
    body->push_back('}');
    return;
  }
  std::string safe;
  SanitizeString(exe, kMaxOriginExeBytes, &safe);
  AppendJsonString(safe, body);
  body->append(",\"exe_altered\":true}");
}

std::optional<std::int64_t> ParseRecordTimestamp(std::string_view ts) { return ParseTimestamp(ts); }

// ---------------------------------------------------------------------------------------

// The parser's depth limit (simdjson's default) is what readers accept; the writer stays
// far below it (the record object adds one level around the event).
static_assert(kMaxNestingDepth + 1 < simdjson::DEFAULT_MAX_DEPTH,
              "readers must accept every record the writer can produce");

struct RecordParser::Impl {
  simdjson::dom::parser parser;
  std::vector<std::string_view> keys;  // scratch for duplicate detection: one object's names
  std::vector<std::uint32_t> order;    // scratch of FirstRepeatedName
};

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;

namespace {

Status Bad(std::string reason) { return Status::Corruption(std::move(reason)); }

// Rejects duplicate member names in `e` and everything nested in it. Each object's names
// are checked in O(n log n) (member_names.h) before its values are visited, so `keys` is
// free for reuse by the nested objects.
Status CheckNoDuplicates(simdjson::dom::element e, std::string_view where,
                         std::vector<std::string_view>* keys, std::vector<std::uint32_t>* order) {
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (e.get_object().get(object) == simdjson::SUCCESS) {
    keys->clear();
    for (auto field : object) keys->push_back(field.key);
    const std::size_t repeated = FirstRepeatedName(*keys, order);
    if (repeated != keys->size()) {
      return Bad(std::string("duplicate member \"") + std::string((*keys)[repeated]) + "\" in " +
                 std::string(where));
    }
    for (auto field : object) {
      AUDITLOG_RETURN_IF_ERROR(CheckNoDuplicates(field.value, where, keys, order));
    }
  } else if (e.get_array().get(array) == simdjson::SUCCESS) {
    for (auto item : array) {
      AUDITLOG_RETURN_IF_ERROR(CheckNoDuplicates(item, where, keys, order));
    }
  }
  return Status::Ok();
}

// The end (one past the closing bracket) of the object or array that starts at `s[i]`.
// REQUIRES: `s` is valid JSON (already parsed), so brackets inside strings are skipped by
// skipping strings, and every bracket is matched.
std::size_t ValueEnd(std::string_view s, std::size_t i) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return s.size();
}

// True when the UTF-8 sequence at `s[i]` encodes a code point that must never appear raw in
// a record although it is valid UTF-8: a C1 control, a bidi control, U+2028/U+2029 or U+FEFF
// (the C0 controls and DEL are single bytes, checked separately; invalid UTF-8 is left to
// the JSON parser, which rejects it).
bool ForbiddenSequenceAt(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  switch (at(0)) {
    case 0xC2:
      return at(1) >= 0x80 && at(1) <= 0x9F;  // U+0080–U+009F
    case 0xD8:
      return at(1) == 0x9C;  // U+061C
    case 0xE2:
      if (at(1) == 0x80) {
        return at(2) == 0x8E || at(2) == 0x8F ||  // U+200E, U+200F
               (at(2) >= 0xA8 && at(2) <= 0xAE);  // U+2028–U+202E
      }
      return at(1) == 0x81 && at(2) >= 0xA6 && at(2) <= 0xA9;  // U+2066–U+2069
    case 0xEF:
      return at(1) == 0xBB && at(2) == 0xBF;  // U+FEFF
    default:
      return false;
  }
}

// The byte rules of §2 that are checked on the raw line: no raw control character or DEL,
// no raw forbidden code point, no whitespace outside a string. Byte by byte: the reference
// for these rules, and what decides every line the fast scan below does not.
Status ScanLineSlow(std::string_view line) {
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto b = static_cast<unsigned char>(line[i]);
    if (b < 0x20 || b == 0x7F) return Bad("raw control character in line");
    if (b >= 0xC2 && ForbiddenSequenceAt(line, i)) {
      return Bad("raw C1, bidi, line-separator or BOM code point in line");
    }
    if (in_string) {
      if (b == '\\') {
        ++i;  // an escaped character is ASCII in valid JSON; anything else fails parsing
      } else if (b == '"') {
        in_string = false;
      }
    } else if (b == '"') {
      in_string = true;
    } else if (b == ' ') {
      return Bad("whitespace outside a string (records are compact JSON)");
    }
  }
  return Status::Ok();
}

// True when the line certainly passes ScanLineSlow and has no backslash (so that the raw
// text of every string in it is the string's value). False decides nothing: ScanLineSlow
// then checks the line. 64 bytes at a time: a space is inside a string exactly when an odd
// number of quotes precede it (there are no escaped quotes without a backslash).
bool ScanLineFast(std::string_view line) {
  const auto* data = reinterpret_cast<const unsigned char*>(line.data());
  std::uint64_t in_string = 0;  // all ones while the previous block ended inside a string
  for (std::size_t base = 0; base < line.size(); base += 64) {
    ByteMasks m;
    if (line.size() - base >= 64) {
      m = Classify64(data + base);
    } else {
      unsigned char tail[64];
      std::memset(tail, 'a', sizeof tail);
      std::memcpy(tail, data + base, line.size() - base);
      m = Classify64(tail);
    }
    if ((m.control | m.backslash) != 0) return false;
    for (std::uint64_t h = m.high; h != 0; h &= h - 1) {
      const std::size_t i = base + static_cast<std::size_t>(std::countr_zero(h));
      if (data[i] >= 0xC2 && ForbiddenSequenceAt(line, i)) return false;
    }
    // Prefix XOR: bit k = parity of the quotes at positions <= k in this block.
    std::uint64_t x = m.quote;
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x ^= in_string;
    if ((m.space & ~x) != 0) return false;
    in_string = static_cast<std::uint64_t>(-static_cast<std::int64_t>(x >> 63));
  }
  return true;
}

// The steps of RecordParser::Parse, in the order it runs them. Each is called from one place
// in this file, so the compiler inlines them and the hot path costs what one function did.

// The line's last 75 bytes are the "hash" member (checked before parsing so that a line cut
// short is named as such, not as invalid JSON).
Status CheckHashSuffix(std::string_view line) {
  if (line.size() <= kHashSuffixBytes || line.substr(line.size() - 2) != "\"}" ||
      line.substr(line.size() - kHashSuffixBytes, kHashMemberPrefix.size()) != kHashMemberPrefix) {
    return Bad("line does not end with the \"hash\" member");
  }
  return Status::Ok();
}

// Parses `line` as JSON into `parser` and returns its top-level object.
Status ParseObject(simdjson::dom::parser* parser, std::string_view line,
                   simdjson::dom::object* obj) {
  simdjson::dom::element root;
  if (auto err = parser->parse(line.data(), line.size()).get(root)) {
    if (err == simdjson::DEPTH_ERROR) {
      return Bad("nested deeper than the readers' limit of " +
                 std::to_string(simdjson::DEFAULT_MAX_DEPTH) + " levels");
    }
    return Bad(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  if (root.get_object().get(*obj)) return Bad("record is not a JSON object");
  return Status::Ok();
}

// The members of a version-1 record in their required order; ReadMember's switch relies on
// it. Only "sanitized" and "origin" may be left out.
constexpr std::string_view kOrder[] = {"v",          "seq",       "audit_id", "timestamp",
                                       "service_id", "critical",  "event",    "sanitized",
                                       "origin",     "prev_hash", "hash"};
constexpr std::size_t kSanitizedIndex = 7;
constexpr std::size_t kOriginIndex = 8;

// The index into kOrder of member `key`, which comes where kOrder[next] is expected: `next`
// itself in the common case, else a later member when only optional ones were skipped. A
// member that is unknown, repeated, out of order or follows a missing one is an error.
Status MemberIndex(std::string_view key, std::size_t next, std::size_t* idx) {
  *idx = next;
  if (next < std::size(kOrder) && kOrder[next] == key) return Status::Ok();
  std::size_t i = next;
  while (i < std::size(kOrder) && kOrder[i] != key) ++i;
  if (i == std::size(kOrder)) {
    for (std::size_t k = 0; k < std::size(kOrder); ++k) {
      if (kOrder[k] == key) {
        return Bad("member \"" + std::string(key) + "\" is duplicated or out of order");
      }
    }
    return Bad("unknown member \"" + std::string(key) + "\"");
  }
  for (std::size_t k = next; k < i; ++k) {
    if (k != kSanitizedIndex && k != kOriginIndex) {
      return Bad("missing member \"" + std::string(kOrder[k]) + "\"");
    }
  }
  *idx = i;
  return Status::Ok();
}

// The nested values of a record, kept for the duplicate-name check and the raw views.
struct NestedValues {
  simdjson::dom::element event;
  simdjson::dom::element sanitized;
  bool have_sanitized = false;
};

// "origin": exactly {"uid":U32,"gid":U32,"pid":U32,"exe":STRING} and, only after an altered
// exe, "exe_altered":true.
Status CheckOrigin(simdjson::dom::element v) {
  simdjson::dom::object origin;
  if (v.get_object().get(origin)) return Bad("\"origin\" is not an object");
  static constexpr std::string_view kNames[] = {"uid", "gid", "pid", "exe", "exe_altered"};
  std::size_t i = 0;
  for (auto [key, value] : origin) {
    if (i == std::size(kNames) || key != kNames[i]) {
      return Bad("\"origin\" is not {\"uid\",\"gid\",\"pid\",\"exe\"[,\"exe_altered\"]}");
    }
    std::uint64_t number = 0;
    std::string_view text;
    bool flag = false;
    const bool ok =
        i < 3    ? value.get_uint64().get(number) == simdjson::SUCCESS && number <= 0xFFFFFFFFu
        : i == 3 ? value.get_string().get(text) == simdjson::SUCCESS
                 : value.get_bool().get(flag) == simdjson::SUCCESS && flag;
    if (!ok) return Bad("\"origin\".\"" + std::string(kNames[i]) + "\" has the wrong type");
    ++i;
  }
  if (i < 4) return Bad("\"origin\" is not {\"uid\",\"gid\",\"pid\",\"exe\"[,\"exe_altered\"]}");
  return Status::Ok();
}

// Checks the type and form of member kOrder[idx] with value `v` and stores it in `out` (or,
// for the nested values, in `nested`).
Status ReadMember(std::size_t idx, simdjson::dom::element v, RecordView* out,
                  NestedValues* nested) {
  switch (idx) {
    case 0: {  // v
      std::uint64_t ver;
      if (v.get_uint64().get(ver) || ver != kFormatVersion) return Bad("\"v\" is not 1");
      break;
    }
    case 1:  // seq
      if (v.get_uint64().get(out->seq) || out->seq == 0)
        return Bad("\"seq\" is not a positive integer");
      break;
    case 2:  // audit_id
      if (v.get_string().get(out->audit_id)) return Bad("\"audit_id\" is not a string");
      break;
    case 3: {  // timestamp
      if (v.get_string().get(out->timestamp)) return Bad("\"timestamp\" is not a string");
      auto ts = ParseRecordTimestamp(out->timestamp);
      if (!ts) return Bad("\"timestamp\" is not RFC 3339 UTC with 6 fraction digits");
      out->ts_micros = *ts;
      break;
    }
    case 4:  // service_id
      if (v.get_string().get(out->service_id)) return Bad("\"service_id\" is not a string");
      break;
    case 5:  // critical
      if (v.get_bool().get(out->critical)) return Bad("\"critical\" is not a boolean");
      break;
    case 6: {  // event
      simdjson::dom::object ev;
      if (v.get_object().get(ev)) return Bad("\"event\" is not an object");
      auto first = ev.begin();
      if (first == ev.end() || (*first).key != "event_type" ||
          (*first).value.get_string().get(out->event_type)) {
        return Bad("\"event\" does not start with a string \"event_type\"");
      }
      nested->event = v;
      break;
    }
    case kSanitizedIndex:  // sanitized
      if (!v.is_array()) return Bad("\"sanitized\" is not an array");
      nested->sanitized = v;
      nested->have_sanitized = true;
      break;
    case kOriginIndex:
      AUDITLOG_RETURN_IF_ERROR(CheckOrigin(v));
      out->has_origin = true;
      break;
    case 9:  // prev_hash
      if (v.get_string().get(out->prev_hash) || !IsLowerHex64(out->prev_hash)) {
        return Bad("\"prev_hash\" is not 64 lowercase hex digits");
      }
      break;
    default:  // hash
      if (v.get_string().get(out->hash) || !IsLowerHex64(out->hash)) {
        return Bad("\"hash\" is not 64 lowercase hex digits");
      }
      break;
  }
  return Status::Ok();
}

// Reads every member of the record object in order (§3 of docs/FORMAT.md).
Status ReadMembers(simdjson::dom::object obj, RecordView* out, NestedValues* nested) {
  std::size_t next = 0;  // index into kOrder of the next allowed member
  for (auto field : obj) {
    std::size_t idx;
    AUDITLOG_RETURN_IF_ERROR(MemberIndex(field.key, next, &idx));
    next = idx + 1;
    AUDITLOG_RETURN_IF_ERROR(ReadMember(idx, field.value, out, nested));
  }
  if (next != std::size(kOrder)) return Bad("missing member \"hash\"");
  return Status::Ok();
}

// Sets out->event_json and out->sanitized_json to the raw text of those values, for readers
// that re-parse only what they need. The members before "event" are scalars whose strings
// cannot hold `,"` (a raw quote in a string is always escaped), so the first `,"event":` is
// the member; its value's extent is found by bracket matching, since any member name may
// occur inside a custom event. `clean`: ScanLineFast passed (no backslash in the line).
Status FindRawNestedJson(std::string_view line, bool clean, bool have_sanitized, RecordView* out) {
  static constexpr std::string_view kEventKey = ",\"event\":";
  static constexpr std::string_view kSanitizedKey = ",\"sanitized\":";
  std::size_t event_at = line.find(kEventKey);
  if (event_at == std::string_view::npos) return Bad("missing member \"event\"");
  event_at += kEventKey.size();
  // Without a backslash in the line, the raw text of "prev_hash" is its 64-digit value, so
  // the member before it ("sanitized", else "event") ends at a fixed distance from the end.
  static constexpr std::string_view kPrevHashKey = ",\"prev_hash\":\"";
  const std::size_t prev_hash_at = line.size() - kHashSuffixBytes - (kPrevHashKey.size() + 65);
  if (clean && !have_sanitized && !out->has_origin && prev_hash_at > event_at &&
      line.substr(prev_hash_at, kPrevHashKey.size()) == kPrevHashKey) {
    out->event_json = line.substr(event_at, prev_hash_at - event_at);
  } else {
    const std::size_t event_end = ValueEnd(line, event_at);
    out->event_json = line.substr(event_at, event_end - event_at);
    if (have_sanitized) {
      const std::size_t san_at = event_end + kSanitizedKey.size();
      out->sanitized_json = line.substr(san_at, ValueEnd(line, san_at) - san_at);
    }
  }
  return Status::Ok();
}

// True when the SHA-256 of the bytes the hash covers is `stored` (64 hex digits).
bool HashMatches(std::string_view line, std::string_view stored) {
  char hex[64];
  ToHex(Sha256(line.substr(0, line.size() - kHashSuffixBytes)), hex);
  return std::string_view(hex, 64) == stored;
}

}  // namespace

Status RecordParser::Parse(std::string_view line, RecordView* out, bool compute_hash) {
  *out = RecordView{};
  const bool clean = ScanLineFast(line);
  if (!clean) AUDITLOG_RETURN_IF_ERROR(ScanLineSlow(line));
  AUDITLOG_RETURN_IF_ERROR(CheckHashSuffix(line));
  simdjson::dom::object obj;
  AUDITLOG_RETURN_IF_ERROR(ParseObject(&impl_->parser, line, &obj));
  NestedValues nested;
  AUDITLOG_RETURN_IF_ERROR(ReadMembers(obj, out, &nested));
  AUDITLOG_RETURN_IF_ERROR(
      CheckNoDuplicates(nested.event, "\"event\"", &impl_->keys, &impl_->order));
  if (nested.have_sanitized) {
    AUDITLOG_RETURN_IF_ERROR(
        CheckNoDuplicates(nested.sanitized, "\"sanitized\"", &impl_->keys, &impl_->order));
  }
  AUDITLOG_RETURN_IF_ERROR(FindRawNestedJson(line, clean, nested.have_sanitized, out));
  // The stored hash is 64 hex digits at a fixed place: it is a view into the line, not into
  // the parser, so it survives the next Parse() only as long as the line does.
  out->hash = line.substr(line.size() - 66, 64);
  if (compute_hash) out->hash_matches = HashMatches(line, out->hash);
  return Status::Ok();
}

}  // namespace auditlog::internal
