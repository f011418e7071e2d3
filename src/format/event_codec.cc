// Generic, description-driven event encoding; see event_codec.h.
//
// Invariant: every byte this file appends is valid UTF-8 and, inside strings, contains no
// forbidden code point (sanitize.h); structural characters come only from this file.
#include "format/event_codec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "auditlog/limits.h"
#include "format/member_names.h"
#include "format/sanitize.h"
#include "util/json_writer.h"
#include "util/sha256.h"

namespace auditlog::internal {
namespace {

// Room kept back from the body budget for what may still be written once the budget is
// reached: the overshoot of the element being written (a member name and a small value, or
// one "sanitized" entry, whose field path is at most kMaxNestingDepth names of 64 bytes),
// the cut's own entry, the closing brackets and the fixed-size fields of a built-in type
// that follow the cut (strings are emptied then). Generous: 4 times the worst case.
constexpr std::size_t kBudgetReserve = 16 << 10;
// Written after every body: `,"sanitized":` and the closing `]` (counted even when there
// is no "sanitized" member, to keep the arithmetic simple).
constexpr std::size_t kBodyWrapBytes = 14;
// Room a list item or object member needs before it is started: a name and a small value.
constexpr std::size_t kItemSlack = 128;
// What replaces a value nested deeper than kMaxNestingDepth.
constexpr std::string_view kTooDeepMarker = "\"<too deep>\"";

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T, typename = void>
struct HasFields : std::false_type {};
template <typename T>
struct HasFields<T, std::void_t<decltype(T::Fields())>> : std::true_type {};

class Encoder {
 public:
  // `path` and `scratch` are caller-owned scratch buffers (cleared here), so that their
  // capacity survives across calls: a dotted path such as "actor.session_id" is longer
  // than the small-string buffer and would otherwise cost an allocation per event.
  Encoder(const EncodeOptions& options, std::string* json, std::string* sanitized,
          std::string* path, std::string* scratch)
      : options_(options),
        json_(*json),
        sanitized_(*sanitized),
        path_(*path),
        scratch_(*scratch),
        budget_(options.max_body_bytes > kBudgetReserve ? options.max_body_bytes - kBudgetReserve
                                                        : 0) {
    path_.clear();
    scratch_.clear();
  }

  const Status& status() const { return status_; }
  std::uint32_t altered_fields() const { return altered_; }

  template <typename T>
  void TopLevel(const T& e) {
    depth_ = 1;
    type_name_ = T::kInfo.type_name;
    json_ += "{\"event_type\":";
    AppendJsonString(type_name_, &json_);
    std::apply([&](const auto&... f) { (Member(e, f), ...); }, T::Fields());
    json_ += '}';
  }

  void TopLevel(const CustomEvent& e) {
    depth_ = 1;
    type_name_ = "custom event";
    if (!IsSnakeCaseName(e.event_type)) {
      return Fail("event_type", "must be snake_case ([a-z][a-z0-9_]*, at most 64 bytes)");
    }
    for (const EventInfo& info : BuiltinEventTypes()) {
      if (info.type_name == e.event_type) {
        return Fail("event_type", "is a built-in event type; use its struct instead");
      }
    }
    type_name_ = e.event_type;
    json_ += "{\"event_type\":";
    AppendJsonString(e.event_type, &json_);
    ObjectMembers(e.fields, /*top_level=*/true);
    json_ += '}';
  }

 private:
  // Writes `,"name":value` for one described member (nothing for an absent optional).
  template <typename Owner, typename M>
  void Member(const Owner& owner, const FieldDesc<Owner, M>& desc) {
    if (!status_.ok()) return;
    const M& value = owner.*(desc.member);
    if constexpr (IsOptional<M>::value) {
      if (!value.has_value()) return;
    }
    const std::size_t mark = path_.size();
    if (!path_.empty()) path_ += '.';
    path_ += desc.name;
    json_ += ',';
    AppendJsonString(desc.name, &json_);
    json_ += ':';
    if constexpr (IsOptional<M>::value) {
      Write(*value, desc.rules, desc.max_bytes);
    } else {
      Write(value, desc.rules, desc.max_bytes);
    }
    path_.resize(mark);
  }

  template <typename T>
  void Write(const T& v, std::uint8_t rules, std::uint32_t max_bytes) {
    if constexpr (std::is_same_v<T, std::string>) {
      WriteString(v, rules, max_bytes);
    } else if constexpr (std::is_same_v<T, bool>) {
      json_ += v ? "true" : "false";
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      if ((rules & kPercent) && v > 100) return Fail(path_, "must be between 0 and 100");
      AppendUint(v, &json_);
    } else if constexpr (std::is_same_v<T, IpAddr>) {
      WriteIp(v, rules);
    } else if constexpr (std::is_same_v<T, AuthMethod>) {
      AppendJsonString(AuthMethodName(v), &json_);
    } else if constexpr (std::is_same_v<T, Time>) {
      json_ += '"';
      AppendTimestamp(
          std::chrono::duration_cast<std::chrono::microseconds>(v.time_since_epoch()).count(),
          &json_);
      json_ += '"';
    } else if constexpr (std::is_same_v<T, StringList>) {
      WriteStringList(v, max_bytes);
    } else if constexpr (std::is_same_v<T, std::vector<std::uint32_t>>) {
      json_ += '[';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (OverBudget()) {
          CutAtItem(i);
          break;
        }
        if (i) json_ += ',';
        AppendUint(v[i], &json_);
      }
      json_ += ']';
    } else if constexpr (std::is_same_v<T, AuditResult>) {
      WriteResult(v);
    } else if constexpr (std::is_same_v<T, Value>) {
      WriteValue(v);
    } else if constexpr (HasFields<T>::value) {
      json_ += '{';
      ++depth_;
      const std::size_t open = json_.size();
      std::apply([&](const auto&... f) { (Member(v, f), ...); }, T::Fields());
      // Member() writes a leading comma before each member; drop the first one.
      if (json_.size() > open && json_[open] == ',') json_.erase(open, 1);
      --depth_;
      json_ += '}';
    } else {
      static_assert(sizeof(T) == 0, "no JSON encoding for this field type");
    }
  }

  void WriteString(std::string_view s, std::uint8_t rules, std::uint32_t max_bytes) {
    if ((rules & kRequired) && s.empty()) return Fail(path_, "is required but empty");
    if (cut_) {  // past the record-size cut: emptied, covered by the cut's entry
      json_ += "\"\"";
      return;
    }
    // A field's own limit (token_prefix) only ever tightens the configured one.
    const std::size_t limit = max_bytes ? std::min<std::size_t>(max_bytes, options_.max_field_bytes)
                                        : options_.max_field_bytes;
    const std::size_t json_mark = json_.size(), sanitized_mark = sanitized_.size();
    const std::uint32_t altered_mark = altered_;
    if (IsAlreadySafe(s, limit)) {
      AppendJsonString(s, &json_);
    } else {
      scratch_.clear();
      const SanitizeOutcome outcome = SanitizeString(s, limit, &scratch_);
      AppendJsonString(scratch_, &json_);
      RecordAlteration(s, outcome);
    }
    if (Used() <= budget_) return;
    // The record would be too long: this string is cut to the room left (escaping at most
    // doubles a byte), and so is everything after it.
    json_.resize(json_mark);
    sanitized_.resize(sanitized_mark);
    altered_ = altered_mark;
    const std::size_t room = budget_ > Used() + 2 ? (budget_ - Used() - 2) / 2 : 0;
    scratch_.clear();
    const SanitizeOutcome outcome = SanitizeString(s, std::min(limit, room), &scratch_);
    AppendJsonString(scratch_, &json_);
    cut_ = true;
    RecordAlteration(s, outcome, "record_size");
  }

  void WriteStringList(const StringList& list, std::uint32_t max_bytes) {
    json_ += '[';
    const std::size_t mark = path_.size();
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (OverBudget()) {
        CutAtItem(i);
        break;
      }
      if (i) json_ += ',';
      path_ += '[';
      path_ += std::to_string(i);
      path_ += ']';
      WriteString(list[i], kNone, max_bytes);
      path_.resize(mark);
    }
    json_ += ']';
  }

  void WriteIp(const IpAddr& ip, std::uint8_t rules) {
    if (ip.text().empty()) {
      if (rules & kRequired) return Fail(path_, "is required but empty");
      json_ += "\"\"";
      return;
    }
    unsigned char bin[16];
    char canonical[INET6_ADDRSTRLEN];
    const std::string& t = ip.text();
    const int family = t.find(':') == std::string::npos ? AF_INET : AF_INET6;
    // inet_pton() reads a C string: an embedded NUL would hide whatever follows it.
    if (t.size() >= INET6_ADDRSTRLEN || t.find('\0') != std::string::npos ||
        inet_pton(family, t.c_str(), bin) != 1 ||
        inet_ntop(family, bin, canonical, sizeof canonical) == nullptr) {
      return Fail(path_, "is not a valid IPv4 or IPv6 address");
    }
    AppendJsonString(canonical, &json_);
  }

  void WriteResult(const AuditResult& r) {
    switch (r.kind) {
      case AuditResult::Kind::kSuccess:
        json_ += "\"success\"";
        return;
      case AuditResult::Kind::kFailure:
        json_ += "{\"failure\":{\"reason\":";
        path_ += ".failure.reason";
        break;
      case AuditResult::Kind::kPartialSuccess:
        json_ += "{\"partial_success\":{\"details\":";
        path_ += ".partial_success.details";
        break;
    }
    WriteString(r.detail, kNone, 0);
    json_ += "}}";
  }

  // The shortest text that reads back as the same double (std::to_chars), which is valid
  // JSON for every finite value; NaN and infinities have no JSON form.
  void WriteDouble(double d) {
    if (!std::isfinite(d)) {
      Fail(path_, "must be a finite number (NaN and infinities have no JSON form)");
      return;
    }
    // The shortest form of a whole number beyond the 64-bit integers can be all digits
    // ("184467440737095516160"), which JSON readers parse as an integer and refuse as too
    // large: such a value is written in the scientific form, which reads back as a double.
    const bool beyond_integers = d >= 18446744073709551616.0 || d < -9223372036854775808.0;
    char buf[32];
    const auto [end, ec] =
        beyond_integers ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific)
                        : std::to_chars(buf, buf + sizeof buf, d);
    json_.append(buf, ec == std::errc() ? end : buf);
  }

  void WriteValue(const Value& v) {
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::string>) {
            WriteString(x, kNone, 0);
          } else if constexpr (std::is_same_v<X, std::nullptr_t>) {
            json_ += "null";
          } else if constexpr (std::is_same_v<X, std::int64_t>) {
            AppendInt(x, &json_);
          } else if constexpr (std::is_same_v<X, std::uint64_t>) {
            AppendUint(x, &json_);
          } else if constexpr (std::is_same_v<X, double>) {
            WriteDouble(x);
          } else if constexpr (std::is_same_v<X, bool>) {
            json_ += x ? "true" : "false";
          } else if (depth_ >= kMaxNestingDepth) {  // a list or object would open one level more
            json_ += kTooDeepMarker;
            RecordLimit("nesting_depth");
          } else if constexpr (std::is_same_v<X, StringList>) {
            ++depth_;
            WriteStringList(x, 0);
            --depth_;
          } else {
            json_ += '{';
            ++depth_;
            ObjectMembers(x, /*top_level=*/false);
            --depth_;
            json_ += '}';
          }
        },
        v.storage());
  }

  // Writes the members of a caller-built object. At top level (a custom event's fields)
  // each member is preceded by a comma, since "event_type" comes first.
  // Every member name is validated, also past a record-size cut (whose members are dropped).
  void ObjectMembers(const Object& object, bool top_level) {
    // Checked up front in O(n log n); `names` is then free for the nested objects.
    thread_local std::vector<std::string_view> names;
    thread_local std::vector<std::uint32_t> order;
    names.clear();
    for (const auto& m : object) names.push_back(m.name);
    const std::size_t repeated = FirstRepeatedName(names, &order);
    bool written = false;
    for (std::size_t i = 0; i < object.size() && status_.ok(); ++i) {
      const std::string& name = object[i].name;
      const std::size_t mark = path_.size();
      if (!path_.empty()) path_ += '.';
      if (!IsSnakeCaseName(name)) {
        path_ += "<member " + std::to_string(i) + ">";
        return Fail(path_, "member name must be snake_case ([a-z][a-z0-9_]*, at most 64 bytes)");
      }
      path_ += name;
      if (top_level && name == "event_type") return Fail(path_, "is a reserved name");
      if (i == repeated) return Fail(path_, "appears twice");
      if (OverBudget()) {
        Cut();
      } else {
        if (top_level || written) json_ += ',';
        written = true;
        AppendJsonString(name, &json_);
        json_ += ':';
        WriteValue(object[i].value);
      }
      path_.resize(mark);
    }
  }

  // Body bytes so far, as EncodeEvent will assemble them.
  std::size_t Used() const { return json_.size() + sanitized_.size() + kBodyWrapBytes; }
  // True when the next list item or member must not be started.
  bool OverBudget() const { return cut_ || Used() + kItemSlack > budget_; }

  // The record-size cut at the element `path_` names: it and everything after it are dropped
  // (strings emptied). Only the first cut is reported: its entry covers the rest.
  void Cut() {
    if (cut_) return;
    cut_ = true;
    RecordLimit("record_size");
  }
  void CutAtItem(std::size_t i) {
    const std::size_t mark = path_.size();
    path_ += '[';
    path_ += std::to_string(i);
    path_ += ']';
    Cut();
    path_.resize(mark);
  }

  // A "sanitized" entry for a value replaced or dropped because of a structural limit.
  void RecordLimit(std::string_view limit) { RecordAlteration({}, SanitizeOutcome{}, limit); }

  // `limit`, when not empty, names the structural limit that caused the alteration.
  void RecordAlteration(std::string_view original, const SanitizeOutcome& o,
                        std::string_view limit = {}) {
    ++altered_;
    sanitized_ += sanitized_.empty() ? "[" : ",";
    sanitized_ += "{\"field\":";
    AppendJsonString(path_, &sanitized_);
    sanitized_ += ",\"neutralized\":";
    AppendUint(o.neutralized, &sanitized_);
    if (o.truncated) {
      sanitized_ += ",\"truncated\":true,\"original_bytes\":";
      AppendUint(o.original_bytes, &sanitized_);
      sanitized_ += ",\"original_sha256\":\"";
      char hex[64];
      ToHex(Sha256(original), hex);
      sanitized_.append(hex, 64);
      sanitized_ += '"';
    }
    if (!limit.empty()) {
      sanitized_ += ",\"limit\":";
      AppendJsonString(limit, &sanitized_);
    }
    sanitized_ += '}';
  }

  void Fail(std::string_view field, std::string_view reason) {
    if (!status_.ok()) return;
    std::string msg(type_name_);
    msg += '.';
    msg += field;
    msg += ": ";
    msg += reason;
    status_ = Status::InvalidArgument(std::move(msg));
  }

  const EncodeOptions& options_;
  std::string& json_;
  std::string& sanitized_;
  std::string& path_;     // dotted path of the field being written, for messages and reports
  std::string& scratch_;  // reused sanitizer output
  std::string_view type_name_;
  Status status_;
  std::uint32_t altered_ = 0;
  const std::size_t budget_;  // Used() may reach this; the reserve holds what follows a cut
  bool cut_ = false;          // the record-size cut happened: drop or empty what follows
  std::size_t depth_ = 0;     // nesting depth of the container being written (event: 1)
};

}  // namespace

bool IsSnakeCaseName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

namespace {

template <typename T>
std::string_view TypeNameOf(const T&) {
  return T::kInfo.type_name;
}
std::string_view TypeNameOf(const CustomEvent& e) { return e.event_type; }
template <typename T>
bool CriticalOf(const T&) {
  return T::kInfo.criticality == Criticality::kCritical;
}
bool CriticalOf(const CustomEvent& e) { return e.criticality == Criticality::kCritical; }

template <typename Variant>
Status EncodeAny(const Variant& event, const EncodeOptions& options, EncodedEvent* out) {
  // Per-thread scratch keeps the hot path free of allocations once warmed up. The event is
  // encoded into a per-thread buffer and copied out only on success, so a failed encode
  // leaves `*out` alone. (Swapping the buffer out instead would save the copy, but the
  // scratch would then start from whatever capacity `out->body` had and grow in several
  // steps; the copy into a buffer reserved at the exact size is cheaper.)
  thread_local std::string json;
  thread_local std::string sanitized;
  thread_local std::string path;
  thread_local std::string scratch;
  json.clear();
  sanitized.clear();
  json += "\"event\":";
  Encoder encoder(options, &json, &sanitized, &path, &scratch);
  std::visit([&](const auto& e) { encoder.TopLevel(e); }, event);
  if (!encoder.status().ok()) return encoder.status();
  const std::size_t body_bytes = json.size() + (sanitized.empty() ? 0 : sanitized.size() + 14);
  if (body_bytes > options.max_body_bytes) {  // unreachable by the reserve; never frame it
    const std::string_view type = std::visit([](const auto& e) { return TypeNameOf(e); }, event);
    return Status::InvalidArgument(std::string(type) + ": encodes to " +
                                   std::to_string(body_bytes) + " bytes, more than " +
                                   std::to_string(options.max_body_bytes));
  }
  out->body.clear();
  out->body.reserve(json.size() + (sanitized.empty() ? 0 : sanitized.size() + 16));
  out->body += json;
  if (!sanitized.empty()) {
    out->body += ",\"sanitized\":";
    out->body += sanitized;
    out->body += ']';
  }
  out->critical = std::visit([](const auto& e) { return CriticalOf(e); }, event);
  out->altered_fields = encoder.altered_fields();
  return Status::Ok();
}

}  // namespace

Status EncodeEvent(const Event& event, const EncodeOptions& options, EncodedEvent* out) {
  return EncodeAny(event, options, out);
}

Status EncodeEvent(const LibraryEvent& event, const EncodeOptions& options, EncodedEvent* out) {
  return EncodeAny(event, options, out);
}

}  // namespace auditlog::internal
