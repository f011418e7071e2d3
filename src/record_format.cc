// Record framing and parsing; see record_format.h and docs/FORMAT.md.
#include "record_format.h"

#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <string>
#include <unordered_set>
#include <vector>

#include "json_writer.h"
#include "sha256.h"

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
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void FrameRecord(std::uint64_t seq, std::int64_t ts_micros, std::string_view service_id,
                 bool critical, std::string_view body, std::string_view prev_hash,
                 std::string* out, char hash_out[64]) {
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

std::string SegmentFileName(std::uint64_t index, std::int64_t created_micros) {
  const std::time_t t = static_cast<std::time_t>(created_micros / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%010llu-%04d-%02d-%02d.audit",
                static_cast<unsigned long long>(index), tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday);
  return buf;
}

std::optional<std::uint64_t> ParseSegmentFileName(std::string_view name) {
  // 10 digits, '-', YYYY-MM-DD, ".audit"
  if (name.size() != 10 + 1 + 10 + kSegmentSuffix.size()) return std::nullopt;
  if (name.substr(name.size() - kSegmentSuffix.size()) != kSegmentSuffix) return std::nullopt;
  const std::string_view date = name.substr(11, 10);
  auto digits = [](std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (name[10] != '-' || date[4] != '-' || date[7] != '-' || !digits(date.substr(0, 4)) ||
      !digits(date.substr(5, 2)) || !digits(date.substr(8, 2))) {
    return std::nullopt;
  }
  std::uint64_t index = 0;
  const auto r = std::from_chars(name.data(), name.data() + 10, index);
  if (r.ec != std::errc() || r.ptr != name.data() + 10) return std::nullopt;
  return index;
}

std::optional<std::int64_t> ParseRecordTimestamp(std::string_view ts) {
  // 0123456789012345678901234567
  // 2026-11-27T00:57:42.123456Z
  if (ts.size() != 27) return std::nullopt;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (kShape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != kShape[i]) return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (ts[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  const std::tm copy = tm;
  const std::time_t secs = timegm(&tm);
  if (tm.tm_mday != copy.tm_mday || tm.tm_mon != copy.tm_mon) return std::nullopt;  // Feb 30
  return static_cast<std::int64_t>(secs) * 1000000 + num(20, 6);
}

// ---------------------------------------------------------------------------------------

struct RecordParser::Impl {
  simdjson::dom::parser parser;
  std::vector<std::string_view> keys;  // scratch for duplicate detection
};

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;

namespace {

Status Bad(std::string reason) { return Status::Corruption(std::move(reason)); }

// Rejects duplicate member names in `e` and everything nested in it.
Status CheckNoDuplicates(simdjson::dom::element e, std::string_view where,
                         std::vector<std::string_view>* scratch) {
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (e.get_object().get(object) == simdjson::SUCCESS) {
    const std::size_t base = scratch->size();
    for (auto field : object) {
      for (std::size_t i = base; i < scratch->size(); ++i) {
        if ((*scratch)[i] == field.key) {
          scratch->resize(base);
          return Bad(std::string("duplicate member \"") + std::string(field.key) + "\" in " +
                     std::string(where));
        }
      }
      scratch->push_back(field.key);
      Status s = CheckNoDuplicates(field.value, where, scratch);
      if (!s.ok()) {
        scratch->resize(base);
        return s;
      }
    }
    scratch->resize(base);
  } else if (e.get_array().get(array) == simdjson::SUCCESS) {
    for (auto item : array) {
      AUDITLOG_RETURN_IF_ERROR(CheckNoDuplicates(item, where, scratch));
    }
  }
  return Status::Ok();
}

// Finds the raw text of the value of top-level member `key` (whose value is an object or
// array) in `line`. The members before it are fixed by the format, so a plain search for
// `,"key":` after `from` is unambiguous: strings cannot contain a raw '"' before it.
std::string_view RawMemberValue(std::string_view line, std::string_view key, std::size_t from,
                                std::size_t to) {
  const std::string needle = ",\"" + std::string(key) + "\":";
  const std::size_t at = line.find(needle, from);
  if (at == std::string_view::npos || at >= to) return {};
  return line.substr(at + needle.size(), to - (at + needle.size()));
}

}  // namespace

Status RecordParser::Parse(std::string_view line, RecordView* out, bool compute_hash) {
  *out = RecordView{};
  for (char c : line) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return Bad("raw control character in line");
  }
  if (line.size() <= kHashSuffixBytes || line.substr(line.size() - 2) != "\"}" ||
      line.substr(line.size() - kHashSuffixBytes, kHashMemberPrefix.size()) != kHashMemberPrefix) {
    return Bad("line does not end with the \"hash\" member");
  }
  simdjson::dom::element root;
  if (auto err = impl_->parser.parse(line.data(), line.size()).get(root)) {
    return Bad(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return Bad("record is not a JSON object");

  static constexpr std::string_view kOrder[] = {"v",       "seq",      "audit_id", "timestamp",
                                                "service_id", "critical", "event",    "sanitized",
                                                "prev_hash",  "hash"};
  std::size_t next = 0;  // index into kOrder of the next allowed member
  simdjson::dom::element event_el;
  bool have_sanitized = false;
  for (auto field : obj) {
    std::size_t idx = next;
    while (idx < std::size(kOrder) && kOrder[idx] != field.key) ++idx;
    if (idx == std::size(kOrder)) {
      for (std::size_t k = 0; k < std::size(kOrder); ++k) {
        if (kOrder[k] == field.key) {
          return Bad("member \"" + std::string(field.key) + "\" is duplicated or out of order");
        }
      }
      return Bad("unknown member \"" + std::string(field.key) + "\"");
    }
    if (idx > next) {
      for (std::size_t k = next; k < idx; ++k) {
        if (kOrder[k] != "sanitized") return Bad("missing member \"" + std::string(kOrder[k]) + "\"");
      }
    }
    next = idx + 1;
    const std::string_view key = field.key;
    auto v = field.value;
    if (key == "v") {
      std::uint64_t ver;
      if (v.get_uint64().get(ver) || ver != kFormatVersion) return Bad("\"v\" is not 1");
    } else if (key == "seq") {
      if (v.get_uint64().get(out->seq) || out->seq == 0) return Bad("\"seq\" is not a positive integer");
    } else if (key == "audit_id") {
      if (v.get_string().get(out->audit_id)) return Bad("\"audit_id\" is not a string");
    } else if (key == "timestamp") {
      if (v.get_string().get(out->timestamp)) return Bad("\"timestamp\" is not a string");
      auto ts = ParseRecordTimestamp(out->timestamp);
      if (!ts) return Bad("\"timestamp\" is not RFC 3339 UTC with 6 fraction digits");
      out->ts_micros = *ts;
    } else if (key == "service_id") {
      if (v.get_string().get(out->service_id)) return Bad("\"service_id\" is not a string");
    } else if (key == "critical") {
      if (v.get_bool().get(out->critical)) return Bad("\"critical\" is not a boolean");
    } else if (key == "event") {
      simdjson::dom::object ev;
      if (v.get_object().get(ev)) return Bad("\"event\" is not an object");
      auto first = ev.begin();
      if (first == ev.end() || (*first).key != "event_type" ||
          (*first).value.get_string().get(out->event_type)) {
        return Bad("\"event\" does not start with a string \"event_type\"");
      }
      event_el = v;
    } else if (key == "sanitized") {
      if (!v.is_array()) return Bad("\"sanitized\" is not an array");
      have_sanitized = true;
    } else if (key == "prev_hash") {
      if (v.get_string().get(out->prev_hash) || !IsLowerHex64(out->prev_hash)) {
        return Bad("\"prev_hash\" is not 64 lowercase hex digits");
      }
    } else if (key == "hash") {
      if (v.get_string().get(out->hash) || !IsLowerHex64(out->hash)) {
        return Bad("\"hash\" is not 64 lowercase hex digits");
      }
    }
  }
  if (next != std::size(kOrder)) return Bad("missing member \"hash\"");
  impl_->keys.clear();
  AUDITLOG_RETURN_IF_ERROR(CheckNoDuplicates(event_el, "\"event\"", &impl_->keys));

  // Raw views of the nested values, for readers that re-parse only what they need.
  const std::size_t prev_at = line.rfind(",\"prev_hash\":\"");
  if (have_sanitized) {
    out->sanitized_json = RawMemberValue(line, "sanitized", 0, prev_at);
    const std::size_t san_at = line.rfind(",\"sanitized\":", prev_at);
    out->event_json = RawMemberValue(line, "event", 0, san_at);
  } else {
    out->event_json = RawMemberValue(line, "event", 0, prev_at);
  }
  // The stored hash is 64 hex digits at a fixed place: it is a view into the line, not into
  // the parser, so it survives the next Parse() only as long as the line does.
  out->hash = line.substr(line.size() - 66, 64);
  if (compute_hash) {
    char hex[64];
    ToHex(Sha256(line.substr(0, line.size() - kHashSuffixBytes)), hex);
    out->hash_matches = std::string_view(hex, 64) == out->hash;
  }
  return Status::Ok();
}

}  // namespace auditlog::internal
