// Value: the small, JSON-like value tree used by user-defined events and by fields whose
// shape the caller chooses (pool_modified.changes). Deliberately limited to what an audit
// record needs: strings, integers, booleans, string lists and nested objects.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace auditlog {

struct Member;
// An object keeps its members in the order given; names must be unique snake_case.
using Object = std::vector<Member>;
using StringList = std::vector<std::string>;

class Value {
 public:
  using Storage = std::variant<std::string, std::int64_t, bool, StringList, Object>;

  // Defined below Member: constructing the variant needs every alternative complete
  // (Clang instantiates the Object destructor here, GCC tolerates it).
  Value();
  Value(std::string s);    // NOLINT: implicit by design
  Value(const char* s);    // NOLINT
  Value(std::int64_t i);   // NOLINT
  Value(int i);            // NOLINT
  Value(std::uint32_t i);  // NOLINT
  Value(bool b);           // NOLINT
  Value(StringList l);     // NOLINT
  Value(Object o);         // NOLINT

  const Storage& storage() const { return v_; }
  Storage& storage() { return v_; }

 private:
  Storage v_;
};

struct Member {
  std::string name;
  Value value;
};

inline Value::Value() : v_(std::string()) {}
inline Value::Value(std::string s) : v_(std::move(s)) {}
inline Value::Value(const char* s) : v_(std::string(s)) {}
inline Value::Value(std::int64_t i) : v_(i) {}
inline Value::Value(int i) : v_(static_cast<std::int64_t>(i)) {}
inline Value::Value(std::uint32_t i) : v_(static_cast<std::int64_t>(i)) {}
inline Value::Value(bool b) : v_(b) {}
inline Value::Value(StringList l) : v_(std::move(l)) {}
inline Value::Value(Object o) : v_(std::move(o)) {}

}  // namespace auditlog
