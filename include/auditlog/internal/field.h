// Field descriptions: how each event type's Fields() list names its members and their rules.
// Machinery of <auditlog/events.h> for the generic codec (src/format/event_codec.cc); callers
// never use it directly, and it may change without notice.
#pragma once

#include <cstdint>
#include <string_view>

namespace auditlog::internal {

enum FieldRule : std::uint8_t {
  kNone = 0,
  kRequired = 1,  // a string that must not be empty: omitting it is a programming error
  kPercent = 2,   // an integer score that must be 0–100
};
template <typename Owner, typename M>
struct FieldDesc {
  std::string_view name{};
  M Owner::*member = nullptr;
  std::uint8_t rules = kNone;
  std::uint32_t max_bytes = 0;  // 0: the logger's configured limit
};
template <typename Owner, typename M>
constexpr FieldDesc<Owner, M> Field(std::string_view name, M Owner::*member,
                                    std::uint8_t rules = kNone, std::uint32_t max_bytes = 0) {
  return {name, member, rules, max_bytes};
}

}  // namespace auditlog::internal
