// Type traits of the generic, description-driven event code: the encoder (event_codec.cc),
// the decoder (event_json.cc) and the tests that walk every event type.
#pragma once

#include <optional>
#include <type_traits>

namespace auditlog::internal {

// An optional member: omitted from the JSON when it has no value.
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// A described struct (an event type or a shared shape such as ActorInfo): has Fields().
template <typename T, typename = void>
struct HasFields : std::false_type {};
template <typename T>
struct HasFields<T, std::void_t<decltype(T::Fields())>> : std::true_type {};

}  // namespace auditlog::internal
