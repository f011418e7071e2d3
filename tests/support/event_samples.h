// A valid sample of every built-in event type, built from its description (Fields()): every
// field gets a valid value (optional ones only when asked), so that each type can be
// encoded, decoded and sent. Used by the JSON decoder's and auditlogd's round-trip tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "auditlog/events.h"
#include "format/field_traits.h"

namespace auditlog::testing {

class SampleFiller {
 public:
  explicit SampleFiller(bool with_optionals) : with_optionals_(with_optionals) {}

  template <typename T>
  void Fill(T* out) {
    std::apply([&](const auto&... f) { (FillField(out, f), ...); }, T::Fields());
  }

 private:
  template <typename Owner, typename M>
  void FillField(Owner* owner, const internal::FieldDesc<Owner, M>& desc) {
    M& member = owner->*(desc.member);
    if constexpr (internal::IsOptional<M>::value) {
      if (!with_optionals_) return;
      typename M::value_type v{};
      Set(&v, desc.name);
      member = std::move(v);
    } else {
      Set(&member, desc.name);
    }
  }

  template <typename T>
  void Set(T* out, std::string_view name) {
    if constexpr (std::is_same_v<T, std::string>) {
      *out = "v-" + std::string(name.substr(0, 4));  // within token_prefix's 6 bytes
    } else if constexpr (std::is_same_v<T, bool>) {
      *out = true;
    } else if constexpr (std::is_integral_v<T>) {
      *out = static_cast<T>(42);
    } else if constexpr (std::is_same_v<T, IpAddr>) {
      *out = IpAddr("2001:db8::7");
    } else if constexpr (std::is_same_v<T, AuthMethod>) {
      *out = AuthMethod::kApiKey;
    } else if constexpr (std::is_same_v<T, Time>) {
      *out = Time(std::chrono::microseconds(1'795'000'000'123'456));
    } else if constexpr (std::is_same_v<T, StringList>) {
      *out = {"a", "b c"};
    } else if constexpr (std::is_same_v<T, std::vector<std::uint32_t>>) {
      *out = {0, 4294967295u};
    } else if constexpr (std::is_same_v<T, AuditResult>) {
      *out = AuditResult::PartialSuccess("3 of 4");
    } else if constexpr (std::is_same_v<T, Value>) {  // PoolModified::changes
      *out = Object{{"max_nodes", 7}, {"labels", StringList{"gpu"}}};
    } else if constexpr (internal::HasFields<T>::value) {
      Fill(out);
    } else {
      static_assert(sizeof(T) == 0, "SampleFiller: unknown field type");
    }
  }

  bool with_optionals_;
};

}  // namespace auditlog::testing
