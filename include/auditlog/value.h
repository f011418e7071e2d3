// Value: the small, JSON-like value tree used by user-defined events and by fields whose
// shape the caller chooses (pool_modified.changes): null, strings, integers of any type,
// finite doubles, booleans, string lists and nested objects.
//
// Example:
//   auditlog::Object fields = {{"invoice_id", "INV-7"}, {"amount_cents", std::size_t{129900}},
//                              {"ratio", 0.25}, {"approved", true}, {"note", nullptr}};
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace auditlog {

struct Member;
// An object keeps its members in the order given; names must be unique snake_case.
using Object = std::vector<Member>;
using StringList = std::vector<std::string>;

// The integer types Value stores as a number: every integer type (std::int8_t and
// std::uint8_t included) except bool and the character types char, wchar_t and char8/16/32_t
// (a char is text, not a count: convert it explicitly).
template <typename T>
concept ValueInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                       !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> &&
                       !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

class Value {
 public:
  // Signed integers are stored as int64_t, unsigned ones as uint64_t, so every value of
  // every integer type is kept exactly. A double must be finite: NaN and infinities have no
  // JSON form, and Emit refuses them naming the field.
  using Storage = std::variant<std::nullptr_t, std::string, std::int64_t, std::uint64_t, double,
                               bool, StringList, Object>;

  // Defined below Member: constructing the variant needs every alternative complete
  // (Clang instantiates the Object destructor here, GCC tolerates it).
  Value();                    // the empty string
  Value(std::nullptr_t);      // NOLINT: implicit by design, as are all below
  Value(std::string s);       // NOLINT
  Value(const char* s);       // NOLINT
  Value(std::string_view s);  // NOLINT
  template <ValueInteger I>
  Value(I i);           // NOLINT
  Value(double d);      // NOLINT
  Value(float f);       // NOLINT
  Value(bool b);        // NOLINT
  Value(StringList l);  // NOLINT
  Value(Object o);      // NOLINT
  // A pointer other than const char* would otherwise silently become a bool.
  template <typename T>
  Value(T*) = delete;

  const Storage& storage() const { return v_; }
  Storage& storage() { return v_; }

 private:
  Storage v_;
};

struct Member {
  std::string name{};
  Value value{};
};

inline Value::Value() : v_(std::string()) {}
inline Value::Value(std::nullptr_t) : v_(nullptr) {}
inline Value::Value(std::string s) : v_(std::move(s)) {}
inline Value::Value(const char* s) : v_(std::string(s)) {}
inline Value::Value(std::string_view s) : v_(std::string(s)) {}
template <ValueInteger I>
inline Value::Value(I i) {
  if constexpr (std::is_signed_v<I>) {
    v_ = static_cast<std::int64_t>(i);
  } else {
    v_ = static_cast<std::uint64_t>(i);
  }
}
inline Value::Value(double d) : v_(d) {}
inline Value::Value(float f) : v_(static_cast<double>(f)) {}
inline Value::Value(bool b) : v_(b) {}
inline Value::Value(StringList l) : v_(std::move(l)) {}
inline Value::Value(Object o) : v_(std::move(o)) {}

}  // namespace auditlog
