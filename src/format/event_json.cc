// JSON text -> typed Event, driven by the same descriptions (events.h) as the encoder in
// event_codec.cc, of which this is the inverse. See <auditlog/event_json.h>.
//
// The input is hostile: it is parsed once by simdjson (UTF-8 validated, depth bounded), then
// walked with recursion bounded by that depth. Errors name the place ("event.actor.ip"),
// never a value, and a member name only when it is snake_case.
#include "auditlog/event_json.h"

#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "auditlog/limits.h"
#include "format/event_codec.h"
#include "util/civil_time.h"

namespace auditlog {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// The event object is level 1; custom values may nest kMaxNestingDepth levels below it
// (deeper ones the encoder would replace by "<too deep>"), one more is tolerated.
constexpr std::size_t kMaxDepth = kMaxNestingDepth + 1;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T, typename = void>
struct HasFields : std::false_type {};
template <typename T>
struct HasFields<T, std::void_t<decltype(T::Fields())>> : std::true_type {};

// The name of the JSON type a field wants, for error messages.
template <typename T>
constexpr std::string_view Expected() {
  if constexpr (std::is_same_v<T, bool>) {
    return "a boolean";
  } else if constexpr (std::is_integral_v<T>) {
    return "a non-negative integer";
  } else if constexpr (std::is_same_v<T, StringList>) {
    return "an array of strings";
  } else if constexpr (std::is_same_v<T, std::vector<std::uint32_t>>) {
    return "an array of non-negative integers";
  } else if constexpr (HasFields<T>::value) {
    return "an object";
  } else {
    return "a string";
  }
}

template <typename T>
std::string MustBe() {
  return "must be " + std::string(Expected<T>());
}

class Decoder {
 public:
  // The first error, or OK.
  Status TakeStatus() { return std::move(status_); }

  template <typename T>
  void TopLevel(object obj, T* out) {
    path_ = "event";
    Members(obj, out, /*skip_first=*/true);
  }

  void TopLevel(object obj, std::string_view type_name, CustomEvent* out) {
    path_ = "event";
    out->event_type = std::string(type_name);
    bool first = true;
    for (auto [key, value] : obj) {
      if (first) {  // event_type, already read
        first = false;
        continue;
      }
      if (!ok()) return;
      Member m;
      m.name = std::string(key);
      const std::size_t mark = Enter(key);
      ReadValue(value, &m.value);
      Leave(mark);
      out->fields.push_back(std::move(m));
    }
  }

 private:
  bool ok() const { return status_.ok(); }

  void Fail(std::string_view problem) {
    if (!ok()) return;
    status_ = Status::InvalidArgument(path_ + ": " + std::string(problem));
  }

  // Appends ".name" to the path (or ".<member N>" for a name that is not snake_case, which
  // is not echoed); returns the mark that Leave() restores.
  std::size_t Enter(std::string_view name) {
    const std::size_t mark = path_.size();
    path_ += '.';
    if (internal::IsSnakeCaseName(name)) {
      path_ += name;
    } else {
      path_ += "<a member whose name is not snake_case>";
    }
    return mark;
  }
  std::size_t EnterIndex(std::size_t i) {
    const std::size_t mark = path_.size();
    path_ += '[';
    path_ += std::to_string(i);
    path_ += ']';
    return mark;
  }
  void Leave(std::size_t mark) { path_.resize(mark); }

  // The members of a described struct: each must be one of its fields, at most once.
  template <typename T>
  void Members(object obj, T* out, bool skip_first) {
    constexpr std::size_t kFields = std::tuple_size_v<decltype(T::Fields())>;
    static_assert(kFields <= 64, "the seen-mask holds 64 fields");
    std::uint64_t seen = 0;
    bool first = skip_first;
    for (auto [key, value] : obj) {
      if (first) {
        first = false;
        continue;
      }
      if (!ok()) return;
      const std::size_t mark = Enter(key);
      std::size_t index = 0;
      if (!FindField<T>(key, &index)) {
        Fail(std::string("is not a field of ") + std::string(TypeName<T>()));
      } else if (seen & (std::uint64_t{1} << index)) {
        Fail("appears twice");
      } else {
        ReadFieldAt(index, value, out);
      }
      seen |= std::uint64_t{1} << index;
      Leave(mark);
    }
  }

  // The position of the field called `key` in T::Fields().
  template <typename T>
  static bool FindField(std::string_view key, std::size_t* index) {
    bool found = false;
    std::size_t i = 0;
    std::apply(
        [&](const auto&... field) {
          ((!found && field.name == key ? (found = true, *index = i) : ++i), ...);
        },
        T::Fields());
    return found;
  }

  // Reads `value` into the field at `index` of T::Fields().
  template <typename T>
  void ReadFieldAt(std::size_t index, element value, T* out) {
    std::size_t i = 0;
    std::apply(
        [&](const auto&... field) {
          ((i++ == index ? ReadField(value, out, field) : void()), ...);
        },
        T::Fields());
  }

  template <typename T>
  static std::string_view TypeName() {
    if constexpr (requires { T::kInfo; }) {
      return T::kInfo.type_name;
    } else {
      return "this object";
    }
  }

  template <typename Owner, typename M>
  void ReadField(element value, Owner* owner, const internal::FieldDesc<Owner, M>& desc) {
    M& member = owner->*(desc.member);
    if constexpr (IsOptional<M>::value) {
      if (value.is_null()) {
        member.reset();
        return;
      }
      typename M::value_type v{};
      Read(value, &v);
      member = std::move(v);
    } else {
      Read(value, &member);
    }
  }

  template <typename T>
  void Read(element value, T* out) {
    if constexpr (std::is_same_v<T, std::string>) {
      std::string_view s;
      if (value.get_string().get(s)) return Fail("must be a string");
      out->assign(s);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (value.get_bool().get(*out)) return Fail("must be a boolean");
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      std::uint64_t u = 0;
      if (value.get_uint64().get(u)) return Fail(MustBe<T>());
      if (u > std::numeric_limits<T>::max()) {
        return Fail("must be at most " + std::to_string(std::numeric_limits<T>::max()));
      }
      *out = static_cast<T>(u);
    } else if constexpr (std::is_same_v<T, IpAddr>) {
      std::string s;
      Read(value, &s);
      *out = IpAddr(std::move(s));
    } else if constexpr (std::is_same_v<T, AuthMethod>) {
      ReadAuthMethod(value, out);
    } else if constexpr (std::is_same_v<T, Time>) {
      ReadTime(value, out);
    } else if constexpr (std::is_same_v<T, StringList> ||
                         std::is_same_v<T, std::vector<std::uint32_t>>) {
      ReadList(value, out);
    } else if constexpr (std::is_same_v<T, AuditResult>) {
      ReadResult(value, out);
    } else if constexpr (std::is_same_v<T, Value>) {  // PoolModified::changes
      ReadValue(value, out);
    } else if constexpr (HasFields<T>::value) {
      object obj;
      if (value.get_object().get(obj)) return Fail("must be an object");
      Members(obj, out, /*skip_first=*/false);
    } else {
      static_assert(sizeof(T) == 0, "no JSON decoding for this field type");
    }
  }

  template <typename List>
  void ReadList(element value, List* out) {
    array items;
    if (value.get_array().get(items)) return Fail(MustBe<List>());
    std::size_t i = 0;
    for (element item : items) {
      if (!ok()) return;
      const std::size_t mark = EnterIndex(i++);
      typename List::value_type v{};
      Read(item, &v);
      out->push_back(std::move(v));
      Leave(mark);
    }
  }

  void ReadAuthMethod(element value, AuthMethod* out) {
    std::string_view s;
    if (value.get_string().get(s) == simdjson::SUCCESS) {
      for (AuthMethod m : {AuthMethod::kBearerToken, AuthMethod::kApiKey, AuthMethod::kMTls,
                           AuthMethod::kInternal}) {
        if (AuthMethodName(m) == s) {
          *out = m;
          return;
        }
      }
    }
    Fail(R"(must be one of "bearer_token", "api_key", "m_tls", "internal")");
  }

  void ReadTime(element value, Time* out) {
    std::string_view s;
    std::optional<std::int64_t> micros;
    if (value.get_string().get(s) == simdjson::SUCCESS) micros = internal::ParseTimestamp(s);
    if (!micros) return Fail("must be a timestamp such as \"2026-11-27T10:00:00.000000Z\"");
    // Time counts nanoseconds in 64 bits (about 1678 to 2262): a later year would overflow.
    using std::chrono::microseconds;
    constexpr auto kMin = std::chrono::ceil<microseconds>(Time::min().time_since_epoch()).count();
    constexpr auto kMax = std::chrono::floor<microseconds>(Time::max().time_since_epoch()).count();
    if (*micros < kMin || *micros > kMax) {
      return Fail("is outside the years the clock can represent (1678 to 2262)");
    }
    *out = Time(std::chrono::duration_cast<Time::duration>(microseconds(*micros)));
  }

  static constexpr std::string_view kResultShapes =
      R"(must be "success", {"failure":{"reason":...}} or {"partial_success":{"details":...}})";

  void ReadResult(element value, AuditResult* out) {
    std::string_view s;
    if (value.get_string().get(s) == simdjson::SUCCESS) {
      if (s == "success") {
        *out = AuditResult::Success();
        return;
      }
      return Fail(kResultShapes);
    }
    object obj;
    if (value.get_object().get(obj) || obj.size() != 1) {
      return Fail(kResultShapes);
    }
    const auto [kind, inner] = *obj.begin();
    const bool failure = kind == "failure";
    if (!failure && kind != "partial_success") {
      return Fail(kResultShapes);
    }
    const std::string_view detail_name = failure ? "reason" : "details";
    object detail;
    std::string_view text;
    const std::size_t mark = Enter(kind);
    if (inner.get_object().get(detail) || detail.size() != 1 ||
        (*detail.begin()).key != detail_name || (*detail.begin()).value.get_string().get(text)) {
      Fail(std::string(R"(must be {")") + std::string(detail_name) + R"(":STRING})");
    }
    Leave(mark);
    if (!ok()) return;
    *out = failure ? AuditResult::Failure(std::string(text))
                   : AuditResult::PartialSuccess(std::string(text));
  }

  // A custom event's value (the `any` shape, plus null and non-integral numbers, which
  // Value also holds). Depth is bounded by the parser.
  void ReadValue(element value, Value* out) {
    switch (value.type()) {
      case simdjson::dom::element_type::NULL_VALUE:
        *out = Value(nullptr);
        return;
      case simdjson::dom::element_type::STRING:
        *out = Value(std::string_view(value.get_string().value_unsafe()));
        return;
      case simdjson::dom::element_type::INT64:
        *out = Value(value.get_int64().value_unsafe());
        return;
      case simdjson::dom::element_type::UINT64:
        *out = Value(value.get_uint64().value_unsafe());
        return;
      case simdjson::dom::element_type::DOUBLE:
        *out = Value(value.get_double().value_unsafe());
        return;
      case simdjson::dom::element_type::BOOL:
        *out = Value(value.get_bool().value_unsafe());
        return;
      case simdjson::dom::element_type::ARRAY: {
        StringList list;
        std::size_t i = 0;
        const array items = value.get_array().value_unsafe();  // a copy: no dangling range
        for (element item : items) {
          const std::size_t mark = EnterIndex(i++);
          std::string_view s;
          if (item.get_string().get(s))
            Fail("must be a string: a custom event's arrays hold strings only");
          Leave(mark);
          if (!ok()) return;
          list.emplace_back(s);
        }
        *out = Value(std::move(list));
        return;
      }
      case simdjson::dom::element_type::OBJECT: {
        Object members;
        const object obj = value.get_object().value_unsafe();  // a copy: no dangling range
        for (auto [key, v] : obj) {
          Member m;
          m.name = std::string(key);
          const std::size_t mark = Enter(key);
          ReadValue(v, &m.value);
          Leave(mark);
          if (!ok()) return;
          members.push_back(std::move(m));
        }
        *out = Value(std::move(members));
        return;
      }
    }
    Fail("has a JSON type a custom event cannot hold");
  }

  Status status_;
  std::string path_;
};

// Decodes `obj` as the built-in type named `name`, or returns false when no built-in type
// has that name.
template <std::size_t I = 0>
bool DecodeBuiltin(std::string_view name, object obj, Decoder* decoder, Event* out) {
  if constexpr (I == std::variant_size_v<Event>) {
    return false;
  } else {
    using T = std::variant_alternative_t<I, Event>;
    if constexpr (HasFields<T>::value) {
      if (T::kInfo.type_name == name) {
        T event{};
        decoder->TopLevel(obj, &event);
        *out = std::move(event);
        return true;
      }
    }
    return DecodeBuiltin<I + 1>(name, obj, decoder, out);
  }
}

}  // namespace

struct EventJsonDecoder::Impl {
  simdjson::dom::parser parser{kMaxEventJsonBytes};
  // The depth limit is set here and kept when parse() grows the buffers.
  Impl() {
    // A failure here (out of memory) is reported by the first parse() as MEMALLOC.
    const simdjson::error_code ignored = parser.allocate(4096, kMaxDepth);
    (void)ignored;
  }
};

EventJsonDecoder::EventJsonDecoder() : impl_(std::make_unique<Impl>()) {}
EventJsonDecoder::~EventJsonDecoder() = default;

Result<Event> EventJsonDecoder::Decode(std::string_view json, Criticality custom_criticality) {
  if (json.size() > kMaxEventJsonBytes) {
    return Status::InvalidArgument("event: longer than " + std::to_string(kMaxEventJsonBytes) +
                                   " bytes");
  }
  element root;
  if (auto err = impl_->parser.parse(json.data(), json.size()).get(root)) {
    if (err == simdjson::DEPTH_ERROR) {
      return Status::InvalidArgument("event: nested deeper than " + std::to_string(kMaxDepth) +
                                     " levels");
    }
    if (err == simdjson::UTF8_ERROR) return Status::InvalidArgument("event: not valid UTF-8");
    return Status::InvalidArgument(std::string("event: not valid JSON (") +
                                   simdjson::error_message(err) + ")");
  }
  object obj;
  if (root.get_object().get(obj)) return Status::InvalidArgument("event: must be a JSON object");
  std::string_view type_name;
  if (obj.begin() == obj.end() || (*obj.begin()).key != "event_type") {
    return Status::InvalidArgument("event: the first member must be \"event_type\"");
  }
  if ((*obj.begin()).value.get_string().get(type_name)) {
    return Status::InvalidArgument("event.event_type: must be a string");
  }
  Decoder decoder;
  Event event;
  if (!DecodeBuiltin(type_name, obj, &decoder, &event)) {
    CustomEvent custom;
    custom.criticality = custom_criticality;
    decoder.TopLevel(obj, type_name, &custom);
    event = std::move(custom);
  }
  AUDITLOG_RETURN_IF_ERROR(decoder.TakeStatus());
  return event;
}

Result<Event> EventFromJson(std::string_view json, Criticality custom_criticality) {
  thread_local EventJsonDecoder decoder;
  return decoder.Decode(json, custom_criticality);
}

}  // namespace auditlog
