// A small, strict JSON library for untrusted MQTT payloads (device state, phone commands).
//
// Parsing follows RFC 8259 exactly and refuses everything else: trailing commas, comments,
// single quotes, NaN/Infinity, leading zeros, '+' signs, bare control characters, invalid
// UTF-8, lone surrogates, numbers that overflow, and duplicate object keys (a device must
// not smuggle in a second "state"). Input size and nesting depth are bounded (Limits).
// parse() never throws, never recurses and never reads outside its input.
//
// Value is a plain tree: null, bool, number, string, array, or object (members in insertion
// order). Accessors are cheap, noexcept and return nullptr/nullopt on a type mismatch, so a
// handler reads a message with a chain of checks and no exceptions:
//
//   auto result = json::parse(payload);
//   if (!result) return log(result.error.message);
//   const json::Value* state = result.value->find("state");
//   if (!state || !state->as_string()) return log("no \"state\" string");
//
// Values built in code (Value::object, Value::array, set) are written with dump().
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace padtimer::json {

class Value;
namespace detail {
class Parser;

// Integer types a Value is built from (bool and the character types are not numbers).
template <class T>
concept Integer =
    std::integral<T> && !std::same_as<std::remove_cv_t<T>, bool> &&
    !std::same_as<std::remove_cv_t<T>, char> && !std::same_as<std::remove_cv_t<T>, wchar_t> &&
    !std::same_as<std::remove_cv_t<T>, char8_t> && !std::same_as<std::remove_cv_t<T>, char16_t> &&
    !std::same_as<std::remove_cv_t<T>, char32_t>;

// Pointees other than char: Value(T*) is deleted for them.
template <class T>
concept NotChar = !std::same_as<std::remove_cv_t<T>, char>;
}  // namespace detail

using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
// Members in insertion order. Keys are unique: the parser rejects duplicates, and
// Value::object and Value::set replace an existing key instead of adding a second one.
using Object = std::vector<Member>;

enum class Type { null, boolean, number, string, array, object };

class Value {
 public:
  // Null.
  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : data_(b) {}
  // A number. Integers in the int64 range are held exactly; larger unsigned values become
  // doubles (and then as_int() is empty).
  template <detail::Integer T>
  Value(T i) noexcept : data_(make_integer(i)) {}
  // A number. An integral double in the int64 range counts as an integer (as_int() has
  // it). NaN and infinities can be held but are written as null by dump().
  template <std::floating_point T>
  Value(T d) noexcept : data_(make_double(static_cast<double>(d))) {}
  // A string; a null pointer gives a null Value. The bytes are kept as given: dump()
  // replaces invalid UTF-8 with U+FFFD.
  Value(const char* s);
  Value(std::string s) noexcept : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::string(s)) {}
  // Not a string, not a bool: a pointer to anything else is a mistake.
  template <detail::NotChar T>
  Value(T*) = delete;

  explicit Value(Array items) noexcept : data_(std::move(items)) {}
  // Later members replace earlier ones with the same key (keeping the first position).
  explicit Value(Object members);

  // Value::array({1, "two", true}), Value::object({{"id", 1}, {"on", true}}).
  static Value array(std::initializer_list<Value> items = {});
  static Value object(std::initializer_list<Member> members = {});

  Type type() const noexcept { return static_cast<Type>(data_.index()); }
  bool is_null() const noexcept { return type() == Type::null; }
  bool is_bool() const noexcept { return type() == Type::boolean; }
  bool is_number() const noexcept { return type() == Type::number; }
  // A number that is a whole number in the int64 range (then as_int() has it).
  bool is_integer() const noexcept;
  bool is_string() const noexcept { return type() == Type::string; }
  bool is_array() const noexcept { return type() == Type::array; }
  bool is_object() const noexcept { return type() == Type::object; }

  std::optional<bool> as_bool() const noexcept;
  std::optional<double> as_number() const noexcept;
  // The exact value when it is a whole number in the int64 range: 3, 3.0, 3e0 and 30e-1
  // all give 3; 3.5, 1e19 and non-numbers give nullopt. For parsed numbers this is decided
  // on the text, exactly: 9007199254740993 stays ...993 (beyond 2^53), and
  // 1.0000000000000000001 gives nullopt although its nearest double is 1.
  std::optional<std::int64_t> as_int() const noexcept;
  const std::string* as_string() const noexcept;
  const Array* as_array() const noexcept;
  const Object* as_object() const noexcept;

  // The member's value, or nullptr when this is not an object or has no such key.
  const Value* find(std::string_view key) const noexcept;

  // Objects: replace the key's value if present, else append. A null Value becomes an
  // empty object first. Throws std::logic_error on any other type. Returns *this.
  Value& set(std::string key, Value v);
  // Arrays: append. A null Value becomes an empty array first. Throws std::logic_error on
  // any other type. Returns *this.
  Value& push_back(Value v);

  // Compact JSON (no whitespace). Strings escape '"', '\\' and control characters
  // (\u00XX) and keep valid UTF-8 as is. Whole numbers in the int64 range are written as
  // integers (no exponent, no ".0", -0 as 0); other numbers as the shortest text that
  // reads back to the same double; NaN and infinities as null. The output is always valid
  // JSON, and parse(v.dump()).value->dump() == v.dump().
  std::string dump() const;
  void dump_to(std::string& out) const;

  // Structural equality; numbers compare by value, objects member by member in order.
  friend bool operator==(const Value& a, const Value& b) noexcept;

 private:
  struct Number {
    double value = 0.0;
    std::int64_t integer = 0;  // meaningful when is_integer
    bool is_integer = false;
  };
  friend class detail::Parser;
  struct Trusted {};
  // Takes members already known to have unique keys (the parser checks them).
  Value(Trusted, Object members) noexcept : data_(std::move(members)) {}

  template <class T>
  static Number make_integer(T i) noexcept {
    static_assert(sizeof(T) <= sizeof(std::int64_t));
    if constexpr (std::is_signed_v<T> || sizeof(T) < sizeof(std::int64_t)) {
      return Number{static_cast<double>(i), static_cast<std::int64_t>(i), true};
    } else {
      if (i <= static_cast<T>(std::numeric_limits<std::int64_t>::max()))
        return Number{static_cast<double>(i), static_cast<std::int64_t>(i), true};
      return Number{static_cast<double>(i), 0, false};
    }
  }
  static Number make_double(double d) noexcept;

  // The index order matches Type.
  std::variant<std::monostate, bool, Number, std::string, Array, Object> data_;
};

struct ParseError {
  std::size_t offset = 0;  // byte offset in the input where the problem is
  // For people and logs, and complete on its own: it ends with "at offset N" where a
  // position applies, e.g. "expected ':' after object key at offset 12".
  std::string message;
};

struct Limits {
  std::size_t max_bytes = 65536;  // longer input is rejected before it is read
  // Arrays/objects nested deeper are rejected. The parser itself never recurses, but
  // dump(), == and the destructor of a Value do, once per level: keep this modest.
  std::size_t max_depth = 32;
};

struct ParseResult {
  std::optional<Value> value;  // set on success
  ParseError error;            // meaningful only when value is empty
  explicit operator bool() const noexcept { return value.has_value(); }
};

// Parses exactly one JSON value, with optional whitespace around it.
ParseResult parse(std::string_view text, const Limits& limits = {}) noexcept;

}  // namespace padtimer::json
