// Names and criticality of event types, derived from their descriptions in events.h.
#include "auditlog/events.h"

namespace auditlog {

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kAuth:
      return "auth";
    case Category::kAuthz:
      return "authz";
    case Category::kResource:
      return "resource";
    case Category::kVram:
      return "vram";
    case Category::kSecurity:
      return "security";
    case Category::kData:
      return "data";
    case Category::kCompliance:
      return "compliance";
    case Category::kSystem:
      return "system";
    case Category::kCustom:
      return "custom";
  }
  return "unknown";
}

std::string_view AuthMethodName(AuthMethod m) {
  switch (m) {
    case AuthMethod::kBearerToken:
      return "bearer_token";
    case AuthMethod::kApiKey:
      return "api_key";
    case AuthMethod::kMTls:
      return "m_tls";
    case AuthMethod::kInternal:
      return "internal";
  }
  return "internal";
}

namespace {
template <typename T>
EventInfo InfoOf(const T&) {
  return T::kInfo;
}
EventInfo InfoOf(const CustomEvent& e) { return {e.event_type, Category::kCustom, e.criticality}; }
template <typename Variant>
EventInfo Info(const Variant& e) {
  return std::visit([](const auto& x) { return InfoOf(x); }, e);
}

// Appends the kInfo of the alternatives I... of `Variant`.
template <typename Variant, std::size_t... I>
void CollectInfos(std::index_sequence<I...>, std::vector<EventInfo>* out) {
  (out->push_back(std::variant_alternative_t<I, Variant>::kInfo), ...);
}
}  // namespace

std::string_view EventTypeName(const Event& e) { return Info(e).type_name; }
bool IsCritical(const Event& e) { return Info(e).criticality == Criticality::kCritical; }
Category EventCategory(const Event& e) { return Info(e).category; }
std::string_view EventTypeName(const SystemEvent& e) { return Info(e).type_name; }
bool IsCritical(const SystemEvent& e) { return Info(e).criticality == Criticality::kCritical; }
Category EventCategory(const SystemEvent& e) { return Info(e).category; }

const std::vector<EventInfo>& BuiltinEventTypes() {
  static const std::vector<EventInfo> kAll = [] {
    std::vector<EventInfo> all;
    CollectInfos<Event>(std::make_index_sequence<kServiceEventTypeCount>(), &all);
    CollectInfos<SystemEvent>(std::make_index_sequence<std::variant_size_v<SystemEvent>>(), &all);
    return all;
  }();
  return kAll;
}

}  // namespace auditlog
