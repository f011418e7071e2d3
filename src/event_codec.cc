// Generic, description-driven event encoding; see event_codec.h.
//
// Invariant: every byte this file appends is valid UTF-8 and, inside strings, contains no
// forbidden code point (sanitize.h); structural characters come only from this file.
#include "event_codec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "json_writer.h"
#include "sanitize.h"
#include "sha256.h"

namespace auditlog::internal {
namespace {

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
      : options_(options), json_(*json), sanitized_(*sanitized), path_(*path), scratch_(*scratch) {
    path_.clear();
    scratch_.clear();
  }

  const Status& status() const { return status_; }
  std::uint32_t altered_fields() const { return altered_; }

  template <typename T>
  void TopLevel(const T& e) {
    type_name_ = T::kInfo.type_name;
    json_ += "{\"event_type\":";
    AppendJsonString(type_name_, &json_);
    std::apply([&](const auto&... f) { (Member(e, f), ...); }, T::Fields());
    json_ += '}';
  }

  void TopLevel(const CustomEvent& e) {
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
      const std::size_t open = json_.size();
      std::apply([&](const auto&... f) { (Member(v, f), ...); }, T::Fields());
      // Member() writes a leading comma before each member; drop the first one.
      if (json_.size() > open && json_[open] == ',') json_.erase(open, 1);
      json_ += '}';
    } else {
      static_assert(sizeof(T) == 0, "no JSON encoding for this field type");
    }
  }

  void WriteString(std::string_view s, std::uint8_t rules, std::uint32_t max_bytes) {
    if ((rules & kRequired) && s.empty()) return Fail(path_, "is required but empty");
    // A field's own limit (token_prefix) only ever tightens the configured one.
    const std::size_t limit = max_bytes ? std::min<std::size_t>(max_bytes, options_.max_field_bytes)
                                        : options_.max_field_bytes;
    if (IsAlreadySafe(s, limit)) {
      AppendJsonString(s, &json_);
      return;
    }
    scratch_.clear();
    const SanitizeOutcome outcome = SanitizeString(s, limit, &scratch_);
    AppendJsonString(scratch_, &json_);
    RecordAlteration(s, outcome);
  }

  void WriteStringList(const StringList& list, std::uint32_t max_bytes) {
    json_ += '[';
    const std::size_t mark = path_.size();
    for (std::size_t i = 0; i < list.size(); ++i) {
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

  void WriteValue(const Value& v) {
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::string>) {
            WriteString(x, kNone, 0);
          } else if constexpr (std::is_same_v<X, std::int64_t>) {
            AppendInt(x, &json_);
          } else if constexpr (std::is_same_v<X, bool>) {
            json_ += x ? "true" : "false";
          } else if constexpr (std::is_same_v<X, StringList>) {
            WriteStringList(x, 0);
          } else {
            json_ += '{';
            ObjectMembers(x, /*top_level=*/false);
            json_ += '}';
          }
        },
        v.storage());
  }

  // Writes the members of a caller-built object. At top level (a custom event's fields)
  // each member is preceded by a comma, since "event_type" comes first.
  void ObjectMembers(const Object& object, bool top_level) {
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
      for (std::size_t j = 0; j < i; ++j) {
        if (object[j].name == name) return Fail(path_, "appears twice");
      }
      if (top_level || i > 0) json_ += ',';
      AppendJsonString(name, &json_);
      json_ += ':';
      WriteValue(object[i].value);
      path_.resize(mark);
    }
  }

  void RecordAlteration(std::string_view original, const SanitizeOutcome& o) {
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
};

}  // namespace

bool IsSnakeCaseName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Status EncodeEvent(const Event& event, const EncodeOptions& options, EncodedEvent* out) {
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
  out->body.clear();
  out->body.reserve(json.size() + (sanitized.empty() ? 0 : sanitized.size() + 16));
  out->body += json;
  if (!sanitized.empty()) {
    out->body += ",\"sanitized\":";
    out->body += sanitized;
    out->body += ']';
  }
  out->critical = IsCritical(event);
  out->altered_fields = encoder.altered_fields();
  return Status::Ok();
}

}  // namespace auditlog::internal
