// The JSON library: every kind of valid document, exact integers, dump() output and
// escaping, round trips, each rejection with its offset, the size and depth limits,
// truncated input at every prefix, and random bytes (which must never crash the parser).
#include "json/json.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace padtimer::json {
// gtest prints a Value as its JSON.
void PrintTo(const Value& v, std::ostream* os) {
  *os << v.dump();
}
}  // namespace padtimer::json

namespace padtimer::testing {
namespace {

using json::Array;
using json::Limits;
using json::Object;
using json::ParseError;
using json::ParseResult;
using json::Type;
using json::Value;
using namespace std::string_view_literals;

// Parses a copy of `text` in a buffer of exactly its size, so any read past the end is
// a heap overflow that AddressSanitizer reports.
ParseResult parse_exact(std::string_view text, const Limits& limits = {}) {
  const std::vector<char> buffer(text.begin(), text.end());
  return json::parse(std::string_view(buffer.data(), buffer.size()), limits);
}

Value ok(std::string_view text, const Limits& limits = {}) {
  ParseResult r = parse_exact(text, limits);
  EXPECT_TRUE(r) << "input: " << text << "\nerror: " << r.error.message;
  return r ? std::move(*r.value) : Value();
}

ParseError bad(std::string_view text, const Limits& limits = {}) {
  ParseResult r = parse_exact(text, limits);
  EXPECT_FALSE(r) << "input: " << text << "\nparsed as: " << (r ? r.value->dump() : "");
  EXPECT_LE(r.error.offset, std::max(text.size(), limits.max_bytes));
  EXPECT_FALSE(r.error.message.empty());
  return r.error;
}

// ---------------------------------------------------------------------------------------
// Valid documents

TEST(JsonParse, Scalars) {
  EXPECT_TRUE(ok("null").is_null());
  EXPECT_EQ(ok("true").as_bool(), true);
  EXPECT_EQ(ok("false").as_bool(), false);
  EXPECT_EQ(ok("0").as_int(), 0);
  EXPECT_EQ(ok("123").as_int(), 123);
  EXPECT_EQ(ok("-123").as_int(), -123);
  EXPECT_EQ(ok("1.5").as_number(), 1.5);
  EXPECT_EQ(ok("-1.5e3").as_number(), -1500.0);
  EXPECT_EQ(ok("\"\"").as_string() != nullptr, true);
  EXPECT_EQ(*ok("\"\"").as_string(), "");
  EXPECT_EQ(*ok("\"heat pad\"").as_string(), "heat pad");
}

TEST(JsonParse, WhitespaceAroundAndBetween) {
  EXPECT_EQ(ok(" \t\r\n 7 \r\n\t ").as_int(), 7);
  const Value v = ok(" { \"a\" :\t[ 1 ,\n2 ] ,\r\n\"b\" : { } } ");
  EXPECT_EQ(v.dump(), R"({"a":[1,2],"b":{}})");
}

TEST(JsonParse, EmptyContainers) {
  const Value a = ok("[]");
  ASSERT_TRUE(a.is_array());
  EXPECT_TRUE(a.as_array()->empty());
  const Value o = ok("{}");
  ASSERT_TRUE(o.is_object());
  EXPECT_TRUE(o.as_object()->empty());
  EXPECT_EQ(ok("[[],{},[[]],{\"a\":{}}]").dump(), "[[],{},[[]],{\"a\":{}}]");
}

TEST(JsonParse, ArrayOfEveryKind) {
  const Value v = ok(R"([null, true, false, 42, -0.25, "s", [1], {"k": "v"}])");
  const Array* items = v.as_array();
  ASSERT_NE(items, nullptr);
  ASSERT_EQ(items->size(), 8u);
  EXPECT_EQ((*items)[0].type(), Type::null);
  EXPECT_EQ((*items)[1].type(), Type::boolean);
  EXPECT_EQ((*items)[2].as_bool(), false);
  EXPECT_EQ((*items)[3].as_int(), 42);
  EXPECT_EQ((*items)[4].as_number(), -0.25);
  EXPECT_EQ(*(*items)[5].as_string(), "s");
  EXPECT_EQ((*items)[6].type(), Type::array);
  EXPECT_EQ((*items)[7].type(), Type::object);
  EXPECT_EQ(*(*items)[7].find("k")->as_string(), "v");
}

TEST(JsonParse, ObjectKeepsInsertionOrder) {
  const Value v = ok(R"({"zeta": 1, "alpha": 2, "mid": 3})");
  const Object* members = v.as_object();
  ASSERT_NE(members, nullptr);
  ASSERT_EQ(members->size(), 3u);
  EXPECT_EQ((*members)[0].first, "zeta");
  EXPECT_EQ((*members)[1].first, "alpha");
  EXPECT_EQ((*members)[2].first, "mid");
  EXPECT_EQ(v.dump(), R"({"zeta":1,"alpha":2,"mid":3})");
}

TEST(JsonParse, DeviceStateMessage) {
  // A Tasmota-style state message, read the way a driver would.
  const Value v = ok(R"({"Time":"2024-01-07T16:00:00","POWER":"ON","Wifi":{"RSSI":-62},
                        "ENERGY":{"Power":41.5,"Today":0.118}})");
  const Value* power = v.find("POWER");
  ASSERT_NE(power, nullptr);
  ASSERT_NE(power->as_string(), nullptr);
  EXPECT_EQ(*power->as_string(), "ON");
  EXPECT_EQ(v.find("Wifi")->find("RSSI")->as_int(), -62);
  EXPECT_EQ(v.find("ENERGY")->find("Power")->as_number(), 41.5);
  EXPECT_EQ(v.find("ENERGY")->find("Power")->as_int(), std::nullopt);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.find("POWER")->find("x"), nullptr);  // not an object
}

TEST(JsonParse, AccessorsReturnNothingOnTypeMismatch) {
  const Value values[] = {ok("null"), ok("true"), ok("1"), ok("\"s\""), ok("[]"), ok("{}")};
  for (const Value& v : values) {
    SCOPED_TRACE(v.dump());
    EXPECT_EQ(v.is_null(), v.type() == Type::null);
    EXPECT_EQ(v.is_bool(), v.as_bool().has_value());
    EXPECT_EQ(v.is_number(), v.as_number().has_value());
    EXPECT_EQ(v.is_number(), v.as_int().has_value());
    EXPECT_EQ(v.is_string(), v.as_string() != nullptr);
    EXPECT_EQ(v.is_array(), v.as_array() != nullptr);
    EXPECT_EQ(v.is_object(), v.as_object() != nullptr);
    EXPECT_EQ(v.find(""), nullptr);
  }
}

TEST(JsonParse, StringEscapes) {
  EXPECT_EQ(*ok(R"("\" \\ \/ \b \f \n \r \t")").as_string(), "\" \\ / \b \f \n \r \t");
  EXPECT_EQ(*ok(R"("\u0041\u00e9\u00E9\u20AC")").as_string(), "A\u00e9\u00e9\u20ac");
  EXPECT_EQ(*ok(R"("\uD83D\uDE00")").as_string(), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(*ok(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(*ok(R"("\uDBFF\uDFFF")").as_string(), "\xF4\x8F\xBF\xBF");  // U+10FFFF
  EXPECT_EQ(*ok(R"("\uD800\uDC00")").as_string(), "\xF0\x90\x80\x80");  // U+10000
  EXPECT_EQ(*ok(R"("\uFFFF")").as_string(), "\xEF\xBF\xBF");
  EXPECT_EQ(*ok(R"("\u007F\u0080\u07FF\u0800")").as_string(), "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80");
  // \u0000 is valid JSON: the string holds a NUL byte.
  EXPECT_EQ(*ok(R"("a\u0000b")").as_string(), std::string("a\0b", 3));
}

TEST(JsonParse, RawUtf8InStrings) {
  EXPECT_EQ(*ok("\"caf\xC3\xA9\"").as_string(), "caf\xC3\xA9");                    // 2 bytes
  EXPECT_EQ(*ok("\"\xE2\x82\xAC\"").as_string(), "\xE2\x82\xAC");                  // 3 bytes
  EXPECT_EQ(*ok("\"\xF0\x9F\x94\xA5 hot\"").as_string(), "\xF0\x9F\x94\xA5 hot");  // 4
  EXPECT_EQ(*ok("\"\xF4\x8F\xBF\xBF\"").as_string(), "\xF4\x8F\xBF\xBF");          // U+10FFFF
  EXPECT_EQ(*ok("\"\xED\x9F\xBF\"").as_string(), "\xED\x9F\xBF");                  // U+D7FF
  EXPECT_EQ(*ok("\"\xEE\x80\x80\"").as_string(), "\xEE\x80\x80");                  // U+E000
  EXPECT_EQ(*ok("\"\x7F\"").as_string(), "\x7F");  // DEL is not a control character here
  EXPECT_EQ(ok("{\"t\xC3\xA9mp\":1}").as_object()->front().first, "t\xC3\xA9mp");
}

TEST(JsonParse, NumbersExactIntegers) {
  EXPECT_EQ(ok("9007199254740993").as_int(), 9007199254740993);  // 2^53 + 1, exact
  EXPECT_EQ(ok("9223372036854775807").as_int(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ok("-9223372036854775808").as_int(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(ok("9223372036854775808").as_int(), std::nullopt);
  EXPECT_EQ(ok("9223372036854775808").as_number(), 9223372036854775808.0);
  EXPECT_EQ(ok("-9223372036854775809").as_int(), std::nullopt);
  EXPECT_EQ(ok("100000000000000000000").as_int(), std::nullopt);
  EXPECT_EQ(ok("100000000000000000000").as_number(), 1e20);
  EXPECT_EQ(ok("-0").as_int(), 0);
  EXPECT_TRUE(ok("-0").is_integer());
  EXPECT_TRUE(std::signbit(*ok("-0").as_number()));
}

TEST(JsonParse, NumbersIntegralByValue) {
  // Whole numbers written with a fraction or an exponent are still integers, exactly.
  EXPECT_EQ(ok("1.0").as_int(), 1);
  EXPECT_EQ(ok("1e2").as_int(), 100);
  EXPECT_EQ(ok("1E+2").as_int(), 100);
  EXPECT_EQ(ok("30e-1").as_int(), 3);
  EXPECT_EQ(ok("1.5e1").as_int(), 15);
  EXPECT_EQ(ok("0.0").as_int(), 0);
  EXPECT_EQ(ok("0e99999999999999999999").as_int(), 0);
  EXPECT_EQ(ok("-2.50e1").as_int(), -25);
  EXPECT_EQ(ok("9007199254740993.000").as_int(), 9007199254740993);
  EXPECT_EQ(ok("92233720368547758.07e2").as_int(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ok("0.00000000000000000000000000000000000000000001e44").as_int(), 1);
  // Not whole, however close.
  EXPECT_EQ(ok("1.5").as_int(), std::nullopt);
  EXPECT_EQ(ok("35e-1").as_int(), std::nullopt);
  EXPECT_EQ(ok("1.0000000000000000001").as_int(), std::nullopt);
  EXPECT_FALSE(ok("1.0000000000000000001").is_integer());
  EXPECT_EQ(ok("1.0000000000000000001").as_number(), 1.0);  // nearest double
  EXPECT_EQ(ok("1e19").as_int(), std::nullopt);             // beyond int64
}

TEST(JsonParse, NumbersDoubles) {
  EXPECT_EQ(ok("0.1").as_number(), 0.1);
  EXPECT_EQ(ok("123e-2").as_number(), 1.23);
  EXPECT_EQ(ok("-1E-2").as_number(), -0.01);
  EXPECT_EQ(ok("1.7976931348623157e308").as_number(), std::numeric_limits<double>::max());
  EXPECT_EQ(ok("4.9e-324").as_number(), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(ok("2.2250738585072014e-308").as_number(), std::numeric_limits<double>::min());
  EXPECT_EQ(ok("1234567890123456789012345678901234567890").as_number(), 1.2345678901234568e39);
  // Too close to zero for a double: zero, with its sign.
  EXPECT_EQ(ok("1e-400").as_number(), 0.0);
  EXPECT_TRUE(std::signbit(*ok("-1e-400").as_number()));
  EXPECT_EQ(ok("1e-99999999999999999999").as_number(), 0.0);
  EXPECT_EQ(ok("1e-400").as_int(), std::nullopt);  // not a whole number as written
  // Written as 0, not "-0": that would read back as the integer 0 and dump differently.
  EXPECT_EQ(ok("-9E-986").dump(), "0");  // found by fuzzing
  // Likewise a whole double that was not exactly whole as written.
  EXPECT_EQ(ok("10000000408000000.00014347463479").dump(), "10000000408000000");  // fuzzing
  EXPECT_EQ(ok("1.0000000000000000001").dump(), "1");
}

TEST(JsonParse, NestingUpToTheLimit) {
  const std::string deep = std::string(32, '[') + "1" + std::string(32, ']');
  const Value v = ok(deep);
  const Value* at = &v;
  for (int i = 0; i < 32; ++i) {
    ASSERT_NE(at->as_array(), nullptr);
    at = &at->as_array()->front();
  }
  EXPECT_EQ(at->as_int(), 1);

  std::string mixed;
  for (int i = 0; i < 16; ++i)
    mixed += "{\"a\":[";
  mixed += "true";
  for (int i = 0; i < 16; ++i)
    mixed += "]}";
  EXPECT_TRUE(ok(mixed).is_object());
}

TEST(JsonParse, NestedObjectsMayRepeatKeysOfOtherObjects) {
  const Value v = ok(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":3},{"a":4}]})");
  EXPECT_EQ(v.find("b")->find("a")->as_int(), 2);
}

TEST(JsonParse, ManyKeys) {
  // Past the small-object scan, duplicates are found through a sorted set.
  std::string text = "{";
  for (int i = 0; i < 2000; ++i)
    text += (i ? ",\"" : "\"") + std::to_string(i) + "\":" + std::to_string(i);
  text += "}";
  const Value v = ok(text);
  ASSERT_EQ(v.as_object()->size(), 2000u);
  EXPECT_EQ(v.find("1999")->as_int(), 1999);
  EXPECT_EQ(v.dump(), text);
}

TEST(JsonParse, ParseIsNoexcept) {
  static_assert(noexcept(json::parse(std::string_view())));
  ParseResult r = json::parse("1");
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_TRUE(r.error.message.empty());
}

// ---------------------------------------------------------------------------------------
// Building and dump()

TEST(JsonDump, Scalars) {
  EXPECT_EQ(Value().dump(), "null");
  EXPECT_EQ(Value(nullptr).dump(), "null");
  EXPECT_EQ(Value(true).dump(), "true");
  EXPECT_EQ(Value(false).dump(), "false");
  EXPECT_EQ(Value(0).dump(), "0");
  EXPECT_EQ(Value(-42).dump(), "-42");
  EXPECT_EQ(Value(std::numeric_limits<std::int64_t>::max()).dump(), "9223372036854775807");
  EXPECT_EQ(Value(std::numeric_limits<std::int64_t>::min()).dump(), "-9223372036854775808");
  EXPECT_EQ(Value("text").dump(), "\"text\"");
}

TEST(JsonDump, NumbersIntegersPlainDoublesShortest) {
  EXPECT_EQ(Value(1.0).dump(), "1");
  EXPECT_EQ(Value(-3.0).dump(), "-3");
  EXPECT_EQ(Value(-0.0).dump(), "0");
  EXPECT_EQ(Value(1e15).dump(), "1000000000000000");
  EXPECT_EQ(Value(9007199254740993.0).dump(), "9007199254740992");  // the double's value
  EXPECT_EQ(Value(0.1).dump(), "0.1");
  EXPECT_EQ(Value(1.5).dump(), "1.5");
  EXPECT_EQ(Value(-41.25).dump(), "-41.25");
  EXPECT_EQ(Value(0.1 + 0.2).dump(), "0.30000000000000004");
  EXPECT_EQ(Value(1e300).dump(), "1e+300");
  EXPECT_EQ(Value(1e-7).dump(), "1e-07");
  EXPECT_EQ(Value(2.5f).dump(), "2.5");
  EXPECT_EQ(Value(std::numeric_limits<double>::denorm_min()).dump(), "5e-324");
  // Never NaN or Infinity: JSON has neither.
  EXPECT_EQ(Value(std::numeric_limits<double>::quiet_NaN()).dump(), "null");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()).dump(), "null");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()).dump(), "null");
  EXPECT_EQ(Value::array({std::nan(""), 1}).dump(), "[null,1]");
}

TEST(JsonDump, IntegerTypes) {
  EXPECT_EQ(Value(short{-7}).dump(), "-7");
  EXPECT_EQ(Value(7u).dump(), "7");
  EXPECT_EQ(Value(std::size_t{12}).dump(), "12");
  EXPECT_EQ(Value(std::uint8_t{200}).as_int(), 200);
  EXPECT_EQ(Value(7LL).as_int(), 7);
  EXPECT_EQ(Value(std::uint64_t{9223372036854775807u}).as_int(),
            std::numeric_limits<std::int64_t>::max());
  // Above int64: a double, no longer an exact integer.
  const Value big(std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(big.as_int(), std::nullopt);
  EXPECT_EQ(big.as_number(), 18446744073709551615.0);
  EXPECT_EQ(ok(big.dump()).as_number(), big.as_number());
}

TEST(JsonDump, Integrality) {
  EXPECT_TRUE(Value(3).is_integer());
  EXPECT_TRUE(Value(3.0).is_integer());
  EXPECT_FALSE(Value(3.5).is_integer());
  EXPECT_FALSE(Value(1e19).is_integer());
  EXPECT_TRUE(Value(-9223372036854775808.0).is_integer());
  EXPECT_FALSE(Value(9223372036854775808.0).is_integer());
  EXPECT_FALSE(Value(std::numeric_limits<double>::quiet_NaN()).is_integer());
  EXPECT_FALSE(Value(true).is_integer());
  EXPECT_EQ(Value(3.0).as_int(), 3);
}

TEST(JsonDump, StringEscaping) {
  EXPECT_EQ(Value("a\"b\\c").dump(), R"("a\"b\\c")");
  EXPECT_EQ(Value("line\nnext\ttab\r").dump(), R"("line\u000Anext\u0009tab\u000D")");
  EXPECT_EQ(Value("\x01\x1F\b\f").dump(), R"("\u0001\u001F\u0008\u000C")");
  EXPECT_EQ(Value(std::string("a\0b", 3)).dump(), R"("a\u0000b")");
  EXPECT_EQ(Value("/ and \x7F stay").dump(), "\"/ and \x7F stay\"");
  EXPECT_EQ(Value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").dump(),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Value("\xE2\x80\xA8").dump(), "\"\xE2\x80\xA8\"");  // U+2028 is valid JSON
}

TEST(JsonDump, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Value("a\xFF"
                  "b")
                .dump(),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(Value("\xC3").dump(), "\"" + fffd + "\"");                        // truncated
  EXPECT_EQ(Value("\xC0\x80").dump(), "\"" + fffd + fffd + "\"");             // overlong
  EXPECT_EQ(Value("\xED\xA0\x80").dump(), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(Value("\xF4\x90\x80\x80").dump(), "\"" + fffd + fffd + fffd + fffd + "\"");
  // Whatever the bytes, the output parses.
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += static_cast<char>(b);
  EXPECT_TRUE(json::parse(Value(all).dump()));
  EXPECT_TRUE(json::parse(Value::object({{all, all}}).dump()));
}

TEST(JsonDump, Containers) {
  EXPECT_EQ(Value::array().dump(), "[]");
  EXPECT_EQ(Value::object().dump(), "{}");
  EXPECT_EQ(Value::object({{"id", 1}, {"on", true}}).dump(), R"({"id":1,"on":true})");
  const Value reply = Value::object({
      {"id", "req-17"},
      {"ok", false},
      {"error", "lower_back may start again at 16:00"},
      {"zones", Value::array({"lower_back", "neck"})},
      {"limits", Value::object({{"max_c", 42.5}, {"lease_s", 120}, {"note", nullptr}})},
  });
  EXPECT_EQ(reply.dump(),
            R"({"id":"req-17","ok":false,"error":"lower_back may start again at 16:00",)"
            R"("zones":["lower_back","neck"],"limits":{"max_c":42.5,"lease_s":120,"note":null}})");
  EXPECT_EQ(Value::array({Value::array({Value::array()}), Value::object()}).dump(), "[[[]],{}]");
  EXPECT_EQ(Value::object({{"k\"ey\n", "v"}}).dump(), R"({"k\"ey\u000A":"v"})");
}

TEST(JsonDump, ConstructionFromStrings) {
  const std::string s = "from string";
  const std::string_view sv = "from view";
  char buffer[] = "mutable";
  EXPECT_EQ(*Value(s).as_string(), s);
  EXPECT_EQ(*Value(sv).as_string(), sv);
  EXPECT_EQ(*Value(buffer).as_string(), "mutable");
  EXPECT_TRUE(Value(static_cast<const char*>(nullptr)).is_null());
  // Pointers that are not strings do not silently become bools.
  static_assert(!std::is_constructible_v<Value, int*>);
  static_assert(!std::is_constructible_v<Value, const void*>);
  static_assert(std::is_nothrow_move_constructible_v<Value>);
}

TEST(JsonDump, ObjectBuilderKeepsKeysUnique) {
  EXPECT_EQ(Value::object({{"a", 1}, {"b", 2}, {"a", 3}}).dump(), R"({"a":3,"b":2})");
  Object many;
  for (int i = 0; i < 20; ++i)
    many.emplace_back("k" + std::to_string(i % 10), i);
  const Value v(std::move(many));
  ASSERT_EQ(v.as_object()->size(), 10u);
  EXPECT_EQ(v.as_object()->front().first, "k0");
  EXPECT_EQ(v.find("k0")->as_int(), 10);
  EXPECT_EQ(v.find("k9")->as_int(), 19);
  EXPECT_TRUE(json::parse(v.dump()));
}

TEST(JsonDump, SetReplacesOrAppends) {
  Value v = Value::object({{"state", "off"}, {"id", 3}});
  v.set("state", "on").set("temp", 38.5);
  EXPECT_EQ(v.dump(), R"({"state":"on","id":3,"temp":38.5})");

  Value fresh;  // null becomes an object
  fresh.set("a", 1);
  EXPECT_EQ(fresh.dump(), R"({"a":1})");

  Value list;  // null becomes an array
  list.push_back(1).push_back("two");
  EXPECT_EQ(list.dump(), R"([1,"two"])");

  Value number(5);
  EXPECT_THROW(number.set("a", 1), std::logic_error);
  EXPECT_THROW(number.push_back(1), std::logic_error);
  EXPECT_THROW(v.push_back(1), std::logic_error);
  EXPECT_EQ(number.dump(), "5");
}

TEST(JsonDump, Equality) {
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_EQ(Value(1), ok("1.0"));
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_NE(Value(1), Value(true));
  EXPECT_NE(Value(1), Value("1"));
  EXPECT_NE(Value(1), Value(2));
  EXPECT_EQ(ok(R"({"a":[1,"x"]})"), Value::object({{"a", Value::array({1, "x"})}}));
  EXPECT_NE(ok(R"({"a":1,"b":2})"), ok(R"({"b":2,"a":1})"));  // order is kept
  EXPECT_NE(ok("[1]"), ok("[1,1]"));
}

// ---------------------------------------------------------------------------------------
// Round trips

const char* const kDocuments[] = {
    "null",
    "true",
    "-12.5e-3",
    "-1e-400",
    (R"("esc \" \\ \/ \b \f \n \r \t \u0001 \u001f \u00e9 \uD83D\uDE00 caf)"
     "\xC3\xA9\""),
    R"([1,-1,0,-0,1.5,1e300,-1e-300,9223372036854775807,-9223372036854775808,1e19,0.1])",
    R"({"id":"req-1","action":"start","zone":"lower_back","args":{"minutes":15,"mode":"heat"}})",
    R"({"a":[{"b":[{"c":[]}]},{}],"":"empty key","\u0000":null,"x":[true,false,null]})",
    R"([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])",
};

TEST(JsonRoundTrip, ParseDumpParse) {
  for (const char* text : kDocuments) {
    SCOPED_TRACE(text);
    const Value first = ok(text);
    const std::string dumped = first.dump();
    const Value second = ok(dumped);
    EXPECT_EQ(first, second);
    EXPECT_EQ(second.dump(), dumped);  // dump is a fixed point
  }
}

TEST(JsonRoundTrip, CompactForm) {
  EXPECT_EQ(ok(" { \"a\" : [ 1 , 2.50 , \"x\" , 1E2 , 10e-1 ] } ").dump(),
            R"({"a":[1,2.5,"x",100,1]})");
  EXPECT_EQ(ok(R"("\u0041\/\u000a")").dump(), R"("A/\u000A")");
}

TEST(JsonRoundTrip, RandomDoublesAreBitExact) {
  std::mt19937_64 rng(20240107);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const Value back = ok(Value(d).dump());
    ASSERT_TRUE(back.is_number());
    if (d == 0.0) {
      EXPECT_EQ(*back.as_number(), 0.0);  // -0.0 is written as 0
    } else {
      const double r = *back.as_number();
      EXPECT_EQ(std::memcmp(&r, &d, sizeof d), 0) << Value(d).dump();
    }
    ++checked;
  }
  EXPECT_GT(checked, 19000);
}

TEST(JsonRoundTrip, RandomIntegersAreExact) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const auto n = static_cast<std::int64_t>(rng()) >> (rng() % 64);
    const Value back = ok(Value(n).dump());
    ASSERT_EQ(back.as_int(), n) << n;
  }
}

TEST(JsonRoundTrip, EveryCodePoint) {
  std::string all;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x800 ? 1 : 97)) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    // Encode by hand here rather than through the library.
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    all += s;
  }
  const Value v(all);
  const Value back = ok(v.dump());
  ASSERT_NE(back.as_string(), nullptr);
  EXPECT_EQ(*back.as_string(), all);
}

// Random trees: written, read back, equal.
Value random_value(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 0 ? 7 : 4);
  const auto random_string = [&] {
    static const char* const pieces[] = {
        "a",     "Z",    " ",    "\"",       "\\",           "/",
        "\n",    "\x01", "\x7F", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
        "state", ""};
    std::string s;
    const int n = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int i = 0; i < n; ++i)
      s += pieces[std::uniform_int_distribution<int>(0, 13)(rng)];
    return s;
  };
  switch (kind(rng)) {
    case 0: return Value();
    case 1: return Value(rng() % 2 == 0);
    case 2: return Value(static_cast<std::int64_t>(rng()) - (1ll << 31));
    case 3: return Value(std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
    case 4: return Value(random_string());
    case 5:
    case 6: {
      Value a = Value::array();
      const int n = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int i = 0; i < n; ++i)
        a.push_back(random_value(rng, depth - 1));
      return a;
    }
    default: {
      Value o = Value::object();
      const int n = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int i = 0; i < n; ++i)
        o.set(random_string(), random_value(rng, depth - 1));
      return o;
    }
  }
}

TEST(JsonRoundTrip, RandomTrees) {
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    const Value v = random_value(rng, 6);
    const std::string text = v.dump();
    const ParseResult back = json::parse(text);
    ASSERT_TRUE(back) << text << "\n" << back.error.message;
    ASSERT_EQ(*back.value, v) << text;
    ASSERT_EQ(back.value->dump(), text);
  }
}

// ---------------------------------------------------------------------------------------
// Rejections: each with the offset it points at and a phrase of its message.

struct Rejection {
  const char* name;
  std::string_view text;
  std::size_t offset;
  const char* phrase;
};

std::ostream& operator<<(std::ostream& os, const Rejection& r) {
  return os << r.name;
}

class JsonReject : public ::testing::TestWithParam<Rejection> {};

TEST_P(JsonReject, AtOffsetWithMessage) {
  const Rejection& r = GetParam();
  const ParseError e = bad(r.text);
  EXPECT_EQ(e.offset, r.offset) << e.message;
  EXPECT_NE(e.message.find(r.phrase), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("at offset " + std::to_string(r.offset)), std::string::npos)
      << e.message;
}

const Rejection kRejections[] = {
    // Nothing, or more than one value.
    {"Empty", "", 0, "empty input"},
    {"OnlyWhitespace", " \n\t ", 4, "empty input"},
    {"TwoValues", "1 2", 2, "after the JSON value"},
    {"TwoObjects", "{}{}", 2, "unexpected '{' after the JSON value"},
    {"ValueThenComma", "[1],", 3, "after the JSON value"},
    {"StringThenString", "\"a\" \"b\"", 4, "after the JSON value"},
    {"TrailingNul", "1\0"sv, 1, "byte 0x00 after the JSON value"},
    // Commas and separators.
    {"TrailingCommaArray", "[1,2,]", 5, "trailing comma before ']'"},
    {"TrailingCommaObject", "{\"a\":1,}", 7, "trailing comma before '}'"},
    {"LeadingCommaArray", "[,1]", 1, "expected a value"},
    {"DoubleComma", "[1,,2]", 3, "expected a value"},
    {"MissingCommaArray", "[1 2]", 3, "expected ',' or ']' after array element"},
    {"MissingCommaObject", "{\"a\":1 \"b\":2}", 7, "expected ',' or '}' after object member"},
    {"MissingColon", "{\"a\" 1}", 5, "expected ':' after object key"},
    {"ColonExample", "{\"id\": 1, \"x\" 2}", 14, "expected ':' after object key but found '2'"},
    {"EqualsForColon", "{\"a\"=1}", 4, "expected ':'"},
    {"MissingValue", "{\"a\":}", 5, "expected a value"},
    {"NumberKey", "{1:2}", 1, "expected a string key or '}'"},
    {"BareKey", "{a:1}", 1, "expected a string key"},
    {"KeyAfterCommaNotString", "{\"a\":1,2}", 7, "expected a string key but found '2'"},
    {"MismatchedArrayClose", "[1}", 2, "expected ',' or ']'"},
    {"MismatchedObjectClose", "{\"a\":1]", 6, "expected ',' or '}'"},
    {"CloseWithoutOpen", "]", 0, "expected a value"},
    {"ArrayClosedByBrace", "[}", 1, "expected a value"},
    {"ObjectClosedByBracket", "{]", 1, "expected a string key or '}'"},
    // Not JSON at all.
    {"SingleQuotedString", "['a']", 1, "double quotes, not single quotes"},
    {"SingleQuotedKey", "{'a':1}", 1, "object keys must be in double quotes"},
    {"LineComment", "// note\n1", 0, "comments are not allowed"},
    {"BlockCommentInArray", "[1 /* c */]", 3, "comments are not allowed"},
    {"CommentAfterValue", "{} // done", 3, "comments are not allowed"},
    {"HashComment", "# x\n1", 0, "comments are not allowed"},
    {"NaN", "NaN", 0, "NaN is not valid JSON"},
    {"NaNInArray", "[1,NaN]", 3, "NaN is not valid JSON"},
    {"Infinity", "Infinity", 0, "Infinity is not valid JSON"},
    {"NegativeInfinity", "-Infinity", 0, "-Infinity is not valid JSON"},
    {"CapitalTrue", "True", 0, "expected a value"},
    {"PythonNone", "None", 0, "expected a value (object, array, string, number, true, false"},
    {"Undefined", "undefined", 0, "but found 'u'"},
    {"ByteOrderMark", "\xEF\xBB\xBF{}", 0, "byte order mark"},
    {"NonAsciiOutsideString", "\xC3\xA9", 0, "byte 0xC3"},
    {"FormFeedIsNotWhitespace", "\f1", 0, "byte 0x0C"},
    {"VerticalTabIsNotWhitespace", "[1,\v2]", 3, "byte 0x0B"},
    {"NoBreakSpaceIsNotWhitespace", "\xC2\xA0 1", 0, "byte 0xC2"},
    // Literals.
    {"TruncatedTrue", "tru", 3, "unexpected end of input in 'true'"},
    {"TruncatedNullInArray", "[nul", 4, "unexpected end of input in 'null'"},
    {"MisspelledTrue", "trux", 0, "invalid literal: expected 'true'"},
    {"MisspelledFalse", "[fals]", 1, "expected 'false'"},
    {"LiteralWithSuffix", "falsey", 5, "unexpected 'y' after the JSON value"},
    {"NullWithExtraL", "nulll", 4, "after the JSON value"},
    // Numbers.
    {"LeadingZero", "01", 0, "leading zeros are not allowed"},
    {"LeadingZeros", "007", 0, "leading zeros"},
    {"NegativeLeadingZero", "-01", 1, "leading zeros"},
    {"LeadingZeroInArray", "[1,02]", 3, "leading zeros"},
    {"PlusSign", "+1", 0, "numbers must not start with '+'"},
    {"PlusSignInObject", "{\"t\":+38}", 5, "'+'"},
    {"LeadingDot", ".5", 0, "digit before the decimal point"},
    {"TrailingDot", "1.", 2, "unexpected end of input: expected a digit after the decimal"},
    {"DotThenExponent", "1.e5", 2, "expected a digit after the decimal point but found 'e'"},
    {"DotInArray", "[1.]", 3, "expected a digit after the decimal point but found ']'"},
    {"BareExponent", "1e", 2, "expected a digit in the exponent"},
    {"ExponentSignOnly", "1e+", 3, "expected a digit in the exponent"},
    {"ExponentLetter", "[1ex]", 3, "expected a digit in the exponent but found 'x'"},
    {"MinusOnly", "-", 1, "expected a digit after '-'"},
    {"MinusSpace", "- 1", 1, "expected a digit after '-' but found a space"},
    {"MinusLetter", "-a", 1, "expected a digit after '-' but found 'a'"},
    {"DoubleMinus", "--1", 1, "expected a digit after '-'"},
    {"HexNumber", "0x10", 1, "unexpected 'x' after the JSON value"},
    {"Overflow", "1e400", 0, "number 1e400 is too large for a double"},
    {"NegativeOverflow", "-1e400", 0, "too large for a double"},
    {"OverflowByRounding", "1.7976931348623159e308", 0, "too large"},
    {"OverflowHugeExponent", "[0,1e99999999999999999999]", 3, "too large"},
    // Strings.
    {"Unterminated", "\"abc", 4, "end of input in the string that starts at offset 0"},
    {"UnterminatedKey", "{\"ab", 4, "string that starts at offset 1"},
    {"RawNewline", "\"a\nb\"", 2, "control character 0x0A in string"},
    {"RawTab", "\"\t\"", 1, "control character 0x09"},
    {"RawUnitSeparator", "[\"\x1f\"]", 2, "control character 0x1F"},
    {"RawNul", "\"a\0\""sv, 2, "control character 0x00"},
    {"InvalidEscape", "\"\\x\"", 1, "invalid escape '\\x' in string"},
    {"EscapedSingleQuote", "\"\\'\"", 1, "invalid escape"},
    {"EscapedNewline", "\"\\\n\"", 1, "backslash followed by byte 0x0A"},
    {"TruncatedEscape", "\"\\", 2, "unexpected end of input in an escape sequence"},
    {"ShortUnicodeEscape", "\"\\u12\"", 1, "\\u must be followed by 4 hex digits"},
    {"BadHexInEscape", "\"\\u12G4\"", 1, "4 hex digits"},
    {"TruncatedUnicodeEscape", "\"\\u00", 1, "4 hex digits"},
    {"UppercaseU", "\"\\U0041\"", 1, "invalid escape"},
    {"LoneHighSurrogate", "\"\\uD800\"", 1, "lone high surrogate \\uD800"},
    {"HighSurrogateThenLetter", "\"\\uD83Dx\"", 1, "lone high surrogate \\uD83D"},
    {"HighSurrogateThenBmp", "\"\\uD800\\u0041\"", 1, "lone high surrogate"},
    {"TwoHighSurrogates", "\"\\uD800\\uD800\"", 1, "lone high surrogate"},
    {"HighSurrogateAtEnd", "\"\\uDBFF", 1, "lone high surrogate \\uDBFF"},
    {"HighSurrogateBadLow", "\"\\uD800\\uDC0\"", 1, "lone high surrogate"},
    {"LoneLowSurrogate", "\"\\uDC00\"", 1, "lone low surrogate \\uDC00"},
    {"LoneLowSurrogateLater", "\"ab\\uDFFF\"", 3, "lone low surrogate \\uDFFF"},
    {"ReversedSurrogates", "\"\\uDE00\\uD83D\"", 1, "lone low surrogate"},
    // Invalid UTF-8 inside strings.
    {"Utf8ByteFF", "\"\xFF\"", 1, "invalid UTF-8 in string"},
    {"Utf8LoneContinuation", "\"a\x80\"", 2, "invalid UTF-8"},
    {"Utf8OverlongNul", "\"\xC0\x80\"", 1, "invalid UTF-8"},
    {"Utf8OverlongTwoByte", "\"\xC1\xBF\"", 1, "invalid UTF-8"},
    {"Utf8OverlongThreeByte", "\"\xE0\x80\xAF\"", 1, "invalid UTF-8"},
    {"Utf8OverlongFourByte", "\"\xF0\x8F\xBF\xBF\"", 1, "invalid UTF-8"},
    {"Utf8EncodedSurrogate", "\"\xED\xA0\x80\"", 1, "invalid UTF-8"},
    {"Utf8AboveMax", "\"\xF4\x90\x80\x80\"", 1, "invalid UTF-8"},
    {"Utf8F5", "\"\xF5\x80\x80\x80\"", 1, "invalid UTF-8"},
    {"Utf8TruncatedBeforeQuote", "\"\xC3\"", 1, "invalid UTF-8"},
    {"Utf8TruncatedThreeByte", "\"ab\xE2\x82\"", 3, "invalid UTF-8"},
    {"Utf8TruncatedAtEnd", "\"\xF0\x9F\x98", 1, "invalid UTF-8"},
    {"Utf8InKey", "{\"\xFE\":1}", 2, "invalid UTF-8"},
    // Duplicate keys.
    {"DuplicateKey", "{\"state\":\"on\",\"state\":\"off\"}", 14, "duplicate key \"state\""},
    {"DuplicateKeyViaEscape", "{\"a\":1,\"\\u0061\":2}", 7, "duplicate key \"a\""},
    {"DuplicateKeyNested", "{\"d\":{\"x\":1,\"y\":2,\"x\":3}}", 18, "duplicate key \"x\""},
    {"DuplicateEmptyKey", "{\"\":1,\"\":2}", 6, "duplicate key \"\""},
    {"DuplicateKeyShownEscaped", "{\"a\\nb\":1,\"a\\nb\":2}", 10, "duplicate key \"a\\u000Ab\""},
    // Truncated containers.
    {"OpenArray", "[", 1, "unexpected end of input: expected a value"},
    {"OpenArrayElement", "[1", 2, "expected ',' or ']' in the array that starts at offset 0"},
    {"OpenArrayComma", "[1,", 3, "unexpected end of input: expected a value"},
    {"OpenObject", "{", 1, "unexpected end of input: expected a string key"},
    {"OpenObjectKey", "{\"a\"", 4, "unexpected end of input: expected ':'"},
    {"OpenObjectColon", "{\"a\":", 5, "unexpected end of input: expected a value"},
    {"OpenObjectValue", "[{\"a\":1", 7,
     "expected ',' or '}' in the object that starts at offset 1"},
};

INSTANTIATE_TEST_SUITE_P(Json, JsonReject, ::testing::ValuesIn(kRejections),
                         [](const ::testing::TestParamInfo<Rejection>& info) {
                           return std::string(info.param.name);
                         });

TEST(JsonReject, ExactMessages) {
  EXPECT_EQ(bad("{\"id\": 1, \"x\" 2}").message,
            "expected ':' after object key but found '2' at offset 14");
  EXPECT_EQ(bad("{\"state\":\"on\",\"state\":\"off\"}").message,
            "duplicate key \"state\" at offset 14");
  EXPECT_EQ(bad("[1,2,]").message, "trailing comma before ']' (not allowed in JSON) at offset 5");
  EXPECT_EQ(bad("1e400").message, "number 1e400 is too large for a double at offset 0");
}

TEST(JsonReject, DuplicateKeyAmongManyKeys) {
  // More keys than the scan covers: the set catches the duplicate, at the right place.
  std::string text = "{";
  for (int i = 0; i < 40; ++i)
    text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const std::size_t offset = text.size();
  text += "\"k3\":0}";
  const ParseError e = bad(text);
  EXPECT_EQ(e.offset, offset);
  EXPECT_EQ(e.message, "duplicate key \"k3\" at offset " + std::to_string(offset));
  // ...and a duplicate of the most recent key too.
  text.resize(offset);
  text += "\"k39\":0}";
  EXPECT_EQ(bad(text).offset, offset);
}

TEST(JsonReject, LongDuplicateKeyIsShortenedInMessage) {
  const std::string key = std::string(100, 'x') + "\xC3\xA9";
  const ParseError e = bad("{\"" + key + "\":1,\"" + key + "\":2}");
  EXPECT_EQ(e.offset, key.size() + 6);
  EXPECT_NE(e.message.find("duplicate key \"" + std::string(64, 'x') + "...\""), std::string::npos)
      << e.message;
  EXPECT_LT(e.message.size(), 120u);
}

// ---------------------------------------------------------------------------------------
// Limits

TEST(JsonLimits, SizeLimit) {
  const std::string at_limit = std::string(65535, ' ') + "1";
  EXPECT_EQ(ok(at_limit).as_int(), 1);
  const std::string over = std::string(65536, ' ') + "1";
  const ParseError e = bad(over);
  EXPECT_EQ(e.offset, 65536u);
  EXPECT_EQ(e.message, "input larger than 65536 bytes (it has 65537)");

  const Limits small{.max_bytes = 10, .max_depth = 32};
  EXPECT_TRUE(ok("1234567890", small).is_number());
  const ParseError e2 = bad("[1,2,3,4,5]", small);
  EXPECT_EQ(e2.offset, 10u);
  EXPECT_EQ(e2.message, "input larger than 10 bytes (it has 11)");
  // Checked before anything is read: even garbage gets this error.
  EXPECT_EQ(bad(std::string(11, '\xFF'), small).message, "input larger than 10 bytes (it has 11)");
}

TEST(JsonLimits, LargeDocumentWithinLimit) {
  std::string text = "[";
  while (text.size() < 60000)
    text += R"({"id":"plug-1","state":"ON","temp":38.25,"ok":true},)";
  text.back() = ']';
  const Value v = ok(text);
  ASSERT_TRUE(v.is_array());
  EXPECT_GT(v.as_array()->size(), 1000u);
  EXPECT_EQ(v.dump(), text);
}

TEST(JsonLimits, DepthLimit) {
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  const ParseError e = bad(deep);
  EXPECT_EQ(e.offset, 32u);
  EXPECT_EQ(e.message, "nesting deeper than 32 levels at offset 32");

  std::string objects;
  for (int i = 0; i < 33; ++i)
    objects += "{\"a\":";
  EXPECT_EQ(bad(objects + "1").offset, 32u * 5);

  const Limits flat{.max_bytes = 65536, .max_depth = 0};
  EXPECT_EQ(ok("\"scalar\"", flat).dump(), "\"scalar\"");
  EXPECT_EQ(bad("[]", flat).message, "nesting deeper than 0 levels at offset 0");
  EXPECT_EQ(bad("{}", flat).offset, 0u);

  const Limits one{.max_bytes = 65536, .max_depth = 1};
  EXPECT_EQ(ok("[1,{}]", Limits{.max_bytes = 100, .max_depth = 2}).dump(), "[1,{}]");
  EXPECT_TRUE(ok("[1,2]", one).is_array());
  EXPECT_EQ(bad("[1,[]]", one).offset, 3u);
  EXPECT_EQ(bad("{\"a\":{}}", one).offset, 5u);
}

TEST(JsonLimits, DeepInputDoesNotRecurse) {
  // 100,000 open brackets with the depth limit lifted: the parser keeps an explicit
  // stack on the heap, so this fails at the end of input rather than overflowing the stack.
  const std::string deep(100'000, '[');
  const Limits lifted{.max_bytes = 200'000, .max_depth = 200'000};
  const ParseError e = bad(deep, lifted);
  EXPECT_EQ(e.offset, deep.size());
  EXPECT_NE(e.message.find("unexpected end of input"), std::string::npos);
  // With the default limits the same input is refused at once, at the 33rd bracket.
  EXPECT_EQ(bad(deep, Limits{.max_bytes = 200'000, .max_depth = 32}).offset, 32u);
  EXPECT_EQ(bad(deep).offset, 65536u);  // and by default it is too large anyway
}

// ---------------------------------------------------------------------------------------
// Truncated, mutated and random input

// Valid documents none of whose proper prefixes is a valid document.
const char* const kRichDocuments[] = {
    (R"({"id":"req-9","action":"start","zone":"lower_back","minutes":15,"temp":-12.5e-1,)"
     R"("on":true,"off":false,"none":null,"list":[0,1.5,-2,3e2,"\u00e9\uD83D\uDE00\n"],)"
     R"("nested":{"a":[{}],"b":[]},"caf)"
     "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\xA5"
     R"(":"\"\\\/\b\f\r\t"})"),
    R"([ 1 , [ true , { "k" : null } ] , "x" , -0.0 , 123456789012345678901234567890 ])",
    (R"("a string with \u0041 escapes and raw )"
     "\xC3\xA9\""),
};

TEST(JsonTruncated, EveryPrefixFailsCleanly) {
  for (const char* doc : kRichDocuments) {
    const std::string_view text = doc;
    ASSERT_TRUE(json::parse(text)) << text;
    for (std::size_t n = 0; n < text.size(); ++n) {
      const ParseResult r = parse_exact(text.substr(0, n));
      ASSERT_FALSE(r) << "prefix of length " << n << " parsed: " << text.substr(0, n);
      EXPECT_LE(r.error.offset, n);
      EXPECT_FALSE(r.error.message.empty());
    }
  }
}

TEST(JsonTruncated, EveryPrefixOfScalarsNeverCrashes) {
  for (std::string_view text : {"-12.5e-3"sv, "true"sv, "false"sv, "null"sv, "1E+22"sv}) {
    for (std::size_t n = 0; n <= text.size(); ++n) {
      const ParseResult r = parse_exact(text.substr(0, n));
      if (!r) {
        EXPECT_LE(r.error.offset, n);
      }
    }
  }
}

TEST(JsonMutated, EveryByteReplacedNeverCrashes) {
  const std::string_view doc = kRichDocuments[0];
  const char replacements[] = {'\0', '"', '\\', '{', '}', '[', ']',  ',',    ':',    '0',
                               '-',  'e', '.',  'u', 'x', ' ', '\n', '\x80', '\xC3', '\xFF'};
  for (std::size_t i = 0; i < doc.size(); ++i) {
    for (char c : replacements) {
      std::string text(doc);
      text[i] = c;
      const ParseResult r = parse_exact(text);
      if (r) {
        ASSERT_EQ(*json::parse(r.value->dump()).value, *r.value) << text;
      } else {
        EXPECT_LE(r.error.offset, text.size());
      }
    }
    std::string removed(doc);
    removed.erase(i, 1);
    const ParseResult r = parse_exact(removed);
    if (!r) {
      EXPECT_LE(r.error.offset, removed.size());
    }
  }
}

TEST(JsonRandom, RandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  const std::string_view alphabet = "{}[]\",:0123456789-+.eEtrufalsn \t\n\\u/'xDC8F\x80\xC3\xFF";
  int parsed = 0;
  for (int i = 0; i < 100000; ++i) {
    const int length = std::uniform_int_distribution<int>(0, 40)(rng);
    const bool any_byte = i % 4 == 0;
    std::string text;
    for (int k = 0; k < length; ++k) {
      text +=
          any_byte
              ? static_cast<char>(rng() & 0xFF)
              : alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    }
    const ParseResult r = parse_exact(text, Limits{.max_bytes = 65536, .max_depth = 8});
    if (r) {
      ++parsed;
      const std::string dumped = r.value->dump();
      const ParseResult again = json::parse(dumped);
      ASSERT_TRUE(again) << text;
      ASSERT_EQ(*again.value, *r.value) << text;
      ASSERT_EQ(again.value->dump(), dumped);
    } else {
      ASSERT_LE(r.error.offset, text.size()) << text;
      ASSERT_FALSE(r.error.message.empty());
    }
  }
  EXPECT_GT(parsed, 100);  // the generator does reach valid documents
}

}  // namespace
}  // namespace padtimer::testing
