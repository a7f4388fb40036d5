#include "json/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

namespace padtimer::json {
namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;

// Length of the well-formed UTF-8 sequence that starts at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100u;  // past the end
  };
  const auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  const unsigned b0 = at(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(at(1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would be above U+10FFFF
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

std::string hex(std::uint32_t v, int digits) {
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4)
    s[static_cast<std::size_t>(i)] = kHexDigits[v & 0xF];
  return s;
}

// Writes s as a JSON string: '"', '\\' and control characters escaped, valid UTF-8 kept,
// each byte of invalid UTF-8 replaced with U+FFFD so the output is always valid.
void write_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(s, i, run - i);
    i = run;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex(c, 2);
      ++i;
    } else if (const std::size_t n = utf8_sequence_length(s, i); n > 0) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
  out += '"';
}

void write_number(std::string& out, double value, std::int64_t integer, bool is_integer) {
  char buffer[32];
  std::to_chars_result r{};
  if (is_integer) {
    r = std::to_chars(buffer, buffer + sizeof buffer, integer);
  } else if (!std::isfinite(value)) {
    out += "null";
    return;
  } else if (std::trunc(value) == value && value >= -kTwoPow63 && value < kTwoPow63) {
    // A whole double that was not an exact integer as written ("1e-400" is 0, -0.0 too;
    // "10000000408000000.0001" is 1.0000000408e16): write it as the integer it is.
    r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
  } else {
    r = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest round-trip form
  }
  out.append(buffer, r.ptr);
}

// A byte for an error message: 'x' when printable ASCII, else byte 0xNN.
std::string describe_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b > 0x20 && b < 0x7F) return std::string("'") + c + "'";
  if (b == ' ') return "a space";
  return "byte 0x" + hex(b, 2);
}

// A key for an error message: escaped like JSON and cut to a readable length.
std::string quote_for_message(std::string_view key) {
  constexpr std::size_t kMax = 64;
  std::string out;
  if (key.size() <= kMax) {
    write_string(out, key);
    return out;
  }
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80)
    --cut;  // do not split a UTF-8 sequence
  write_string(out, key.substr(0, cut));
  out.insert(out.size() - 1, "...");
  return out;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::null: return "null";
    case Type::boolean: return "bool";
    case Type::number: return "number";
    case Type::string: return "string";
    case Type::array: return "array";
    case Type::object: return "object";
  }
  return "unknown";
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Value

Value::Value(const char* s) {
  if (s != nullptr) data_ = std::string(s);
}

Value::Value(Object members) {
  // Later duplicates replace the value at the key's first position.
  Object unique;
  unique.reserve(members.size());
  if (members.size() <= 8) {
    for (auto& m : members) {
      auto it = unique.begin();
      while (it != unique.end() && it->first != m.first)
        ++it;
      if (it == unique.end())
        unique.push_back(std::move(m));
      else
        it->second = std::move(m.second);
    }
  } else {
    std::unordered_map<std::string_view, std::size_t> position;  // views into `members`
    std::vector<std::size_t> target(members.size());
    for (std::size_t i = 0; i < members.size(); ++i)
      target[i] = position.try_emplace(members[i].first, position.size()).first->second;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (target[i] == unique.size())
        unique.push_back(std::move(members[i]));
      else
        unique[target[i]].second = std::move(members[i].second);
    }
  }
  data_ = std::move(unique);
}

Value Value::array(std::initializer_list<Value> items) {
  return Value(Array(items));
}

Value Value::object(std::initializer_list<Member> members) {
  return Value(Object(members));
}

Value::Number Value::make_double(double d) noexcept {
  if (std::isfinite(d) && d >= -kTwoPow63 && d < kTwoPow63 && std::trunc(d) == d)
    return Number{d, static_cast<std::int64_t>(d), true};
  return Number{d, 0, false};
}

bool Value::is_integer() const noexcept {
  const auto* n = std::get_if<Number>(&data_);
  return n != nullptr && n->is_integer;
}

std::optional<bool> Value::as_bool() const noexcept {
  if (const auto* b = std::get_if<bool>(&data_)) return *b;
  return std::nullopt;
}

std::optional<double> Value::as_number() const noexcept {
  if (const auto* n = std::get_if<Number>(&data_)) return n->value;
  return std::nullopt;
}

std::optional<std::int64_t> Value::as_int() const noexcept {
  if (const auto* n = std::get_if<Number>(&data_); n != nullptr && n->is_integer) return n->integer;
  return std::nullopt;
}

const std::string* Value::as_string() const noexcept {
  return std::get_if<std::string>(&data_);
}

const Array* Value::as_array() const noexcept {
  return std::get_if<Array>(&data_);
}

const Object* Value::as_object() const noexcept {
  return std::get_if<Object>(&data_);
}

const Value* Value::find(std::string_view key) const noexcept {
  if (const auto* members = std::get_if<Object>(&data_)) {
    for (const auto& [k, v] : *members)
      if (k == key) return &v;
  }
  return nullptr;
}

Value& Value::set(std::string key, Value v) {
  if (is_null()) data_ = Object{};
  auto* members = std::get_if<Object>(&data_);
  if (members == nullptr)
    throw std::logic_error(std::string("json::Value::set on a ") + type_name(type()) +
                           " value; it needs an object");
  for (auto& [k, existing] : *members) {
    if (k == key) {
      existing = std::move(v);
      return *this;
    }
  }
  members->emplace_back(std::move(key), std::move(v));
  return *this;
}

Value& Value::push_back(Value v) {
  if (is_null()) data_ = Array{};
  auto* items = std::get_if<Array>(&data_);
  if (items == nullptr)
    throw std::logic_error(std::string("json::Value::push_back on a ") + type_name(type()) +
                           " value; it needs an array");
  items->push_back(std::move(v));
  return *this;
}

std::string Value::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

void Value::dump_to(std::string& out) const {
  switch (type()) {
    case Type::null: out += "null"; return;
    case Type::boolean: out += std::get<bool>(data_) ? "true" : "false"; return;
    case Type::number: {
      const auto& n = std::get<Number>(data_);
      write_number(out, n.value, n.integer, n.is_integer);
      return;
    }
    case Type::string: write_string(out, std::get<std::string>(data_)); return;
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& item : std::get<Array>(data_)) {
        if (!first) out += ',';
        first = false;
        item.dump_to(out);
      }
      out += ']';
      return;
    }
    case Type::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : std::get<Object>(data_)) {
        if (!first) out += ',';
        first = false;
        write_string(out, key);
        out += ':';
        item.dump_to(out);
      }
      out += '}';
      return;
    }
  }
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::null: return true;
    case Type::boolean: return std::get<bool>(a.data_) == std::get<bool>(b.data_);
    case Type::number: {
      const auto& x = std::get<Value::Number>(a.data_);
      const auto& y = std::get<Value::Number>(b.data_);
      if (x.is_integer && y.is_integer) return x.integer == y.integer;
      return x.value == y.value;
    }
    case Type::string: return std::get<std::string>(a.data_) == std::get<std::string>(b.data_);
    case Type::array: return std::get<Array>(a.data_) == std::get<Array>(b.data_);
    case Type::object: return std::get<Object>(a.data_) == std::get<Object>(b.data_);
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Parser: an explicit stack of open containers instead of recursion, so deep input costs
// heap, not call stack, and the depth limit is a plain comparison.

namespace detail {

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  ParseResult run();

 private:
  struct Frame {
    bool is_object = false;
    std::size_t open_offset = 0;  // where its '[' or '{' is
    Array items;
    Object members;
    std::string key;             // objects: the key whose value is being read
    std::set<std::string> seen;  // objects: all keys, once there are many of them
  };

  enum class Start { failed, complete, opened };

  bool fail(std::size_t offset, std::string message);
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_whitespace();

  Start start_value(Value& out);
  bool fail_no_value();
  bool read_key(bool after_comma);
  bool parse_string(std::string& out);
  bool parse_escape(std::string& out);
  bool read_hex4(std::size_t at, std::uint32_t& value) const;
  bool parse_literal(Value& out);
  bool parse_number(Value& out);

  std::string_view text_;
  Limits limits_;
  std::size_t pos_ = 0;
  std::vector<Frame> stack_;
  ParseError error_;
};

bool Parser::fail(std::size_t offset, std::string message) {
  error_.offset = offset;
  error_.message = std::move(message) + " at offset " + std::to_string(offset);
  return false;
}

void Parser::skip_whitespace() {
  while (!at_end()) {
    const char c = peek();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

ParseResult Parser::run() {
  ParseResult result;
  if (text_.size() > limits_.max_bytes) {
    error_.offset = limits_.max_bytes;
    error_.message = "input larger than " + std::to_string(limits_.max_bytes) + " bytes (it has " +
                     std::to_string(text_.size()) + ")";
    result.error = std::move(error_);
    return result;
  }
  stack_.reserve(std::min<std::size_t>(limits_.max_depth, 8));
  skip_whitespace();

  Value value;
  for (;;) {
    // Read the start of one value: a scalar, an empty container, or the opening of a
    // container whose first element is next.
    const Start start = start_value(value);
    if (start == Start::failed) break;
    if (start == Start::opened) continue;

    // A value is complete: add it to the open container, then see whether that one
    // continues (',' — read the next value) or closes (it is the next complete value).
    bool failed = false;
    for (;;) {
      if (stack_.empty()) {
        skip_whitespace();
        if (!at_end() && peek() == '/') {
          fail(pos_, "comments are not allowed in JSON");
          failed = true;
        } else if (!at_end()) {
          fail(pos_, "unexpected " + describe_byte(peek()) +
                         " after the JSON value (a message holds exactly one value)");
          failed = true;
        }
        break;
      }
      Frame& top = stack_.back();
      if (top.is_object)
        top.members.emplace_back(std::move(top.key), std::move(value));
      else
        top.items.push_back(std::move(value));
      skip_whitespace();
      const char close = top.is_object ? '}' : ']';
      const char* what = top.is_object ? "object" : "array";
      if (at_end()) {
        failed = !fail(pos_, std::string("unexpected end of input: expected ',' or '") + close +
                                 "' in the " + what + " that starts at offset " +
                                 std::to_string(top.open_offset));
        break;
      }
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
        if (top.is_object) {
          failed = !read_key(true);
        } else if (!at_end() && peek() == ']') {
          failed = !fail(pos_, "trailing comma before ']' (not allowed in JSON)");
        }
        break;  // read the next element
      }
      if (peek() == '/') {
        failed = !fail(pos_, "comments are not allowed in JSON");
        break;
      }
      if (peek() != close) {
        failed = !fail(pos_, std::string("expected ',' or '") + close + "' after " +
                                 (top.is_object ? "object member" : "array element") +
                                 " but found " + describe_byte(peek()));
        break;
      }
      ++pos_;
      value = top.is_object ? Value(Value::Trusted{}, std::move(top.members))
                            : Value(std::move(top.items));
      stack_.pop_back();
    }
    if (failed) break;
    if (stack_.empty()) {
      result.value = std::move(value);
      return result;
    }
  }
  result.error = std::move(error_);
  return result;
}

Parser::Start Parser::start_value(Value& out) {
  if (at_end()) {
    fail_no_value();
    return Start::failed;
  }
  const char c = peek();
  if (c == '[' || c == '{') {
    if (stack_.size() >= limits_.max_depth) {
      fail(pos_, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
      return Start::failed;
    }
    const bool is_object = c == '{';
    const char close = is_object ? '}' : ']';
    Frame frame;
    frame.is_object = is_object;
    frame.open_offset = pos_;
    ++pos_;
    skip_whitespace();
    if (!at_end() && peek() == close) {
      ++pos_;
      out = is_object ? Value(Value::Trusted{}, Object{}) : Value(Array{});
      return Start::complete;
    }
    stack_.push_back(std::move(frame));
    if (is_object && !read_key(false)) return Start::failed;
    return Start::opened;
  }
  if (c == '"') {
    std::string s;
    if (!parse_string(s)) return Start::failed;
    out = Value(std::move(s));
    return Start::complete;
  }
  if (c == '-' || is_digit(c)) return parse_number(out) ? Start::complete : Start::failed;
  if (c == 't' || c == 'f' || c == 'n') return parse_literal(out) ? Start::complete : Start::failed;
  fail_no_value();
  return Start::failed;
}

// There is no value where one must be: say why in terms a person can fix.
bool Parser::fail_no_value() {
  if (at_end()) {
    if (text_.find_first_not_of(" \t\n\r") == std::string_view::npos)
      return fail(pos_, "empty input: expected a JSON value");
    return fail(pos_, "unexpected end of input: expected a value");
  }
  const std::string_view rest = text_.substr(pos_);
  switch (peek()) {
    case '\'': return fail(pos_, "strings must be in double quotes, not single quotes");
    case '/':
    case '#': return fail(pos_, "comments are not allowed in JSON");
    case '+': return fail(pos_, "numbers must not start with '+'");
    case '.': return fail(pos_, "numbers must have a digit before the decimal point");
    default: break;
  }
  if (rest.starts_with("NaN")) return fail(pos_, "NaN is not valid JSON");
  if (rest.starts_with("Infinity")) return fail(pos_, "Infinity is not valid JSON");
  if (rest.starts_with("\xEF\xBB\xBF")) return fail(pos_, "byte order mark is not allowed");
  return fail(pos_,
              "expected a value (object, array, string, number, true, false or null) "
              "but found " +
                  describe_byte(peek()));
}

// At an object's key: reads the key string, checks it is new, and the ':' after it.
bool Parser::read_key(bool after_comma) {
  Frame& frame = stack_.back();
  if (at_end()) return fail(pos_, "unexpected end of input: expected a string key");
  if (peek() != '"') {
    if (after_comma && peek() == '}')
      return fail(pos_, "trailing comma before '}' (not allowed in JSON)");
    if (peek() == '\'')
      return fail(pos_, "object keys must be in double quotes, not single quotes");
    return fail(pos_, std::string("expected a string key") + (after_comma ? "" : " or '}'") +
                          " but found " + describe_byte(peek()));
  }
  const std::size_t key_offset = pos_;
  std::string key;
  if (!parse_string(key)) return false;

  // Small objects: a scan. Past that a sorted set keeps adversarial input at n log n.
  constexpr std::size_t kScanLimit = 16;
  bool duplicate = false;
  if (frame.members.size() < kScanLimit) {
    for (const auto& member : frame.members)
      duplicate = duplicate || member.first == key;
  } else {
    if (frame.seen.empty())
      for (const auto& member : frame.members)
        frame.seen.insert(member.first);
    duplicate = !frame.seen.insert(key).second;
  }
  if (duplicate) return fail(key_offset, "duplicate key " + quote_for_message(key));

  skip_whitespace();
  if (at_end()) return fail(pos_, "unexpected end of input: expected ':' after object key");
  if (peek() != ':')
    return fail(pos_, "expected ':' after object key but found " + describe_byte(peek()));
  ++pos_;
  skip_whitespace();
  frame.key = std::move(key);
  return true;
}

bool Parser::parse_string(std::string& out) {
  const std::size_t start = pos_;
  ++pos_;  // the opening quote
  for (;;) {
    std::size_t run = pos_;
    while (run < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(text_, pos_, run - pos_);
    pos_ = run;
    if (at_end())
      return fail(pos_, "unexpected end of input in the string that starts at offset " +
                            std::to_string(start));
    const auto c = static_cast<unsigned char>(peek());
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c == '\\') {
      if (!parse_escape(out)) return false;
    } else if (c < 0x20) {
      return fail(pos_, "control character 0x" + hex(c, 2) +
                            " in string (write it escaped, e.g. \\u00" + hex(c, 2) + ")");
    } else {
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) return fail(pos_, "invalid UTF-8 in string");
      out.append(text_, pos_, n);
      pos_ += n;
    }
  }
}

bool Parser::read_hex4(std::size_t at, std::uint32_t& value) const {
  if (at > text_.size() || text_.size() - at < 4) return false;
  value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int h = hex_value(text_[at + i]);
    if (h < 0) return false;
    value = value << 4 | static_cast<std::uint32_t>(h);
  }
  return true;
}

// At a backslash in a string.
bool Parser::parse_escape(std::string& out) {
  const std::size_t escape = pos_;
  ++pos_;
  if (at_end()) return fail(pos_, "unexpected end of input in an escape sequence");
  const char c = peek();
  switch (c) {
    case '"': out += '"'; break;
    case '\\': out += '\\'; break;
    case '/': out += '/'; break;
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'u': break;
    default: {
      const auto b = static_cast<unsigned char>(c);
      const std::string what = b > 0x20 && b < 0x7F ? std::string("invalid escape '\\") + c + "'"
                                                    : "backslash followed by " + describe_byte(c);
      return fail(escape, what + " in string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    }
  }
  ++pos_;
  if (c != 'u') return true;

  std::uint32_t cp = 0;
  if (!read_hex4(pos_, cp)) return fail(escape, "\\u must be followed by 4 hex digits");
  pos_ += 4;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    return fail(escape, "lone low surrogate \\u" + hex(cp, 4) +
                            " (it must follow a \\uD800-\\uDBFF high surrogate)");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    std::uint32_t low = 0;
    if (text_.size() - pos_ < 2 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u' ||
        !read_hex4(pos_ + 2, low) || low < 0xDC00 || low > 0xDFFF)
      return fail(escape, "lone high surrogate \\u" + hex(cp, 4) +
                              " (it must be followed by a \\uDC00-\\uDFFF low surrogate)");
    pos_ += 6;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(out, cp);
  return true;
}

bool Parser::parse_literal(Value& out) {
  const std::string_view rest = text_.substr(pos_);
  const char c = peek();
  const std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
  if (!rest.starts_with(word)) {
    if (word.starts_with(rest))
      return fail(text_.size(), "unexpected end of input in '" + std::string(word) + "'");
    return fail(pos_, "invalid literal: expected '" + std::string(word) + "'");
  }
  pos_ += word.size();
  if (c == 'n')
    out = Value();
  else
    out = Value(c == 't');
  return true;
}

bool Parser::parse_number(Value& out) {
  const std::size_t start = pos_;
  const bool negative = peek() == '-';
  if (negative) ++pos_;
  if (at_end()) return fail(pos_, "unexpected end of input: expected a digit after '-'");

  const std::size_t int_begin = pos_;
  if (peek() == '0') {
    ++pos_;
    if (!at_end() && is_digit(peek()))
      return fail(int_begin, "leading zeros are not allowed in numbers");
  } else if (is_digit(peek())) {
    while (!at_end() && is_digit(peek()))
      ++pos_;
  } else {
    if (text_.substr(pos_).starts_with("Infinity"))
      return fail(start, "-Infinity is not valid JSON");
    return fail(pos_, "expected a digit after '-' but found " + describe_byte(peek()));
  }
  const std::size_t int_end = pos_;

  std::size_t frac_begin = pos_;
  std::size_t frac_end = pos_;
  if (!at_end() && peek() == '.') {
    ++pos_;
    if (at_end())
      return fail(pos_, "unexpected end of input: expected a digit after the decimal point");
    if (!is_digit(peek()))
      return fail(pos_,
                  "expected a digit after the decimal point but found " + describe_byte(peek()));
    frac_begin = pos_;
    while (!at_end() && is_digit(peek()))
      ++pos_;
    frac_end = pos_;
  }

  // Saturated: any exponent this large already overflows or underflows a double.
  constexpr std::int64_t kExponentCap = 1'000'000'000'000;
  std::int64_t exponent = 0;
  if (!at_end() && (peek() == 'e' || peek() == 'E')) {
    ++pos_;
    bool exponent_negative = false;
    if (!at_end() && (peek() == '+' || peek() == '-')) {
      exponent_negative = peek() == '-';
      ++pos_;
    }
    if (at_end()) return fail(pos_, "unexpected end of input: expected a digit in the exponent");
    if (!is_digit(peek()))
      return fail(pos_, "expected a digit in the exponent but found " + describe_byte(peek()));
    while (!at_end() && is_digit(peek())) {
      if (exponent < kExponentCap) exponent = exponent * 10 + (peek() - '0');
      ++pos_;
    }
    if (exponent_negative) exponent = -exponent;
  }

  // Where the significant digits are. Digit k of int-part-then-fraction has the power of
  // ten int_len - 1 - k + exponent.
  const std::string_view int_digits = text_.substr(int_begin, int_end - int_begin);
  const std::string_view frac_digits = text_.substr(frac_begin, frac_end - frac_begin);
  const std::size_t total = int_digits.size() + frac_digits.size();
  const auto digit_at = [&](std::size_t k) {
    return k < int_digits.size() ? int_digits[k] : frac_digits[k - int_digits.size()];
  };
  std::size_t first = 0;
  while (first < total && digit_at(first) == '0')
    ++first;
  std::size_t last = total;  // one past the last non-zero digit
  while (last > first && digit_at(last - 1) == '0')
    --last;
  const bool is_zero = first == total;
  const auto int_len = static_cast<std::int64_t>(int_digits.size());
  const std::int64_t lead_power = int_len - 1 - static_cast<std::int64_t>(first) + exponent;
  const std::int64_t last_power = int_len - static_cast<std::int64_t>(last) + exponent;

  Value::Number number;
  const char* const begin = text_.data() + start;
  const char* const end = text_.data() + pos_;
  const auto [ptr, ec] = std::from_chars(begin, end, number.value);
  if (ec == std::errc::result_out_of_range) {
    if (!is_zero && lead_power > 0)
      return fail(start, "number " + std::string(begin, end) + " is too large for a double");
    number.value = negative ? -0.0 : 0.0;  // underflow: closer to zero than any double
  } else if (ec != std::errc() || ptr != end || !std::isfinite(number.value)) {
    return fail(start, "invalid number " + std::string(begin, end));
  }

  if (is_zero) {
    number.is_integer = true;
  } else if (last_power >= 0 && lead_power <= 18) {
    // At most 19 digits in all: below 10^19, which fits in 64 unsigned bits.
    std::uint64_t magnitude = 0;
    for (std::size_t k = first; k < last; ++k)
      magnitude = magnitude * 10 + static_cast<std::uint64_t>(digit_at(k) - '0');
    for (std::int64_t p = 0; p < last_power; ++p)
      magnitude *= 10;
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    if (magnitude <= limit) {
      number.integer = static_cast<std::int64_t>(negative ? ~magnitude + 1 : magnitude);
      number.is_integer = true;
    }
  }
  out = Value();
  out.data_ = number;
  return true;
}

}  // namespace detail

ParseResult parse(std::string_view text, const Limits& limits) noexcept {
  try {
    return detail::Parser(text, limits).run();
  } catch (...) {  // only std::bad_alloc can get here
    ParseResult result;
    result.error.offset = 0;
    result.error.message = "out of memory";  // short enough to need no allocation
    return result;
  }
}

}  // namespace padtimer::json
