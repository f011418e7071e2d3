// EventFromJson: every built-in type round-trips through its record encoding, custom events
// keep their members, and every malformed input is refused with a message naming the place.
#include "auditlog/event_json.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "auditlog/auditlog.h"
#include "event_samples.h"
#include "format/event_codec.h"
#include "format/field_traits.h"
#include "test_util.h"

namespace auditlog {
namespace {

using internal::HasFields;

// The JSON text of the record's "event" member for `event`.
std::string EventText(const Event& event) {
  internal::EncodedEvent encoded;
  const Status st = internal::EncodeEvent(event, {}, &encoded);
  EXPECT_TRUE(st.ok()) << st.ToString();
  const std::string prefix = "\"event\":";
  EXPECT_EQ(encoded.body.rfind(prefix, 0), 0u) << encoded.body;
  EXPECT_EQ(encoded.body.find("\"sanitized\""), std::string::npos) << encoded.body;
  return encoded.body.substr(prefix.size());
}

template <std::size_t I = 0>
void RoundTripEveryBuiltinType(bool with_optionals, int* types) {
  if constexpr (I < std::variant_size_v<Event>) {
    using T = std::variant_alternative_t<I, Event>;
    if constexpr (HasFields<T>::value) {
      T sample{};
      testing::SampleFiller(with_optionals).Fill(&sample);
      const std::string text = EventText(sample);
      SCOPED_TRACE(text);
      Result<Event> decoded = EventFromJson(text);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      ASSERT_TRUE(std::holds_alternative<T>(*decoded));
      EXPECT_EQ(EventText(*decoded), text);
      ++*types;
    }
    RoundTripEveryBuiltinType<I + 1>(with_optionals, types);
  }
}

TEST(EventJsonTest, EveryBuiltinTypeRoundTripsThroughItsRecordEncoding) {
  int types = 0;
  RoundTripEveryBuiltinType(/*with_optionals=*/true, &types);
  EXPECT_EQ(types, 35);
  types = 0;
  RoundTripEveryBuiltinType(/*with_optionals=*/false, &types);
  EXPECT_EQ(types, 35);
}

TEST(EventJsonTest, MissingMembersKeepDefaultsAndNullMeansAbsent) {
  ASSERT_OK_AND_ASSIGN(Event e,
                       EventFromJson(R"({"event_type":"auth_failure","attempted_user":null,)"
                                     R"("reason":"bad_password","ip":"203.0.113.7"})"));
  const auto& f = std::get<AuthFailure>(e);
  EXPECT_FALSE(f.attempted_user.has_value());
  EXPECT_EQ(f.reason, "bad_password");
  EXPECT_EQ(f.ip.text(), "203.0.113.7");
  EXPECT_EQ(f.path, "");
}

TEST(EventJsonTest, CustomEventsKeepTheirMembersAndTakeTheGivenCriticality) {
  const std::string text =
      R"({"event_type":"door_opened","door":"north","count":-3,"big":18446744073709551615,)"
      R"("ratio":0.5,"ok":true,"none":null,"tags":["a","b"],"where":{"floor":2,"wing":"e"}})";
  ASSERT_OK_AND_ASSIGN(Event e, EventFromJson(text, Criticality::kCritical));
  const auto& c = std::get<CustomEvent>(e);
  EXPECT_EQ(c.event_type, "door_opened");
  EXPECT_EQ(c.criticality, Criticality::kCritical);
  ASSERT_EQ(c.fields.size(), 8u);
  EXPECT_EQ(std::get<std::int64_t>(c.fields[1].value.storage()), -3);
  EXPECT_EQ(std::get<std::uint64_t>(c.fields[2].value.storage()), 18446744073709551615u);
  EXPECT_EQ(std::get<double>(c.fields[3].value.storage()), 0.5);
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(c.fields[5].value.storage()));
  EXPECT_EQ(std::get<StringList>(c.fields[6].value.storage()), (StringList{"a", "b"}));
  EXPECT_EQ(EventText(e), text);
  ASSERT_OK_AND_ASSIGN(Event routine, EventFromJson(text));
  EXPECT_EQ(std::get<CustomEvent>(routine).criticality, Criticality::kRoutine);
}

// The no-evasion rule: a hostile string in a valid event is decoded unchanged, and Emit's
// encoder neutralizes and records it, as for an event built in C++.
TEST(EventJsonTest, HostileStringsArePassedOnForTheEncoderToNeutralize) {
  ASSERT_OK_AND_ASSIGN(Event e,
                       EventFromJson(R"({"event_type":"auth_failure","reason":"a\u0000b\u202e\n",)"
                                     R"("ip":"203.0.113.7"})"));
  EXPECT_EQ(std::get<AuthFailure>(e).reason, std::string("a\0b\u202e\n", 7));
  internal::EncodedEvent encoded;
  ASSERT_OK(internal::EncodeEvent(e, {}, &encoded));
  EXPECT_NE(encoded.body.find("\"sanitized\""), std::string::npos) << encoded.body;
  EXPECT_EQ(encoded.altered_fields, 1u);
}

// Each malformed input is refused, and the message names the problem and where it is.
TEST(EventJsonTest, MalformedEventsAreRefusedNamingTheProblem) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "event: not valid JSON"},
      {"{\"event_type\":\"auth_failure\"", "event: not valid JSON"},
      {"[1]", "event: must be a JSON object"},
      {"{}", "event: the first member must be \"event_type\""},
      {R"({"ip":"1.2.3.4","event_type":"auth_failure"})",
       "the first member must be \"event_type\""},
      {R"({"event_type":7})", "event.event_type: must be a string"},
      {R"({"event_type":"auth_failure","colour":"red"})",
       "event.colour: is not a field of auth_failure"},
      {R"({"event_type":"auth_failure","Bad Name":"x"})",
       "event.<a member whose name is not snake_case>: is not a field of auth_failure"},
      {R"({"event_type":"auth_failure","reason":"a","reason":"b"})", "event.reason: appears twice"},
      {R"({"event_type":"auth_failure","reason":3})", "event.reason: must be a string"},
      {R"({"event_type":"suspicious_activity","risk_score":256})",
       "event.risk_score: must be at most 255"},
      {R"({"event_type":"suspicious_activity","risk_score":-1})",
       "event.risk_score: must be a non-negative integer"},
      {R"({"event_type":"suspicious_activity","risk_score":1.5})",
       "event.risk_score: must be a non-negative integer"},
      {R"({"event_type":"auth_success","method":"password"})",
       R"(event.method: must be one of "bearer_token")"},
      {R"({"event_type":"auth_success","actor":{"user_id":1}})",
       "event.actor.user_id: must be a string"},
      {R"({"event_type":"authorization_denied","actor":{"user_id":1}})",
       "event.actor.user_id: must be a string"},
      {R"({"event_type":"authorization_denied","actor":{"user_id":"u","extra":1}})",
       "event.actor.extra: is not a field of this object"},
      {R"({"event_type":"authorization_denied","actor":"u"})", "event.actor: must be an object"},
      {R"({"event_type":"auth_failure","reason":null})", "event.reason: must be a string"},
      {R"({"event_type":"data_deleted","customer_id":"c","data_types":["a",2]})",
       "event.data_types[1]: must be a string"},
      {R"({"event_type":"data_deleted","customer_id":"c","data_types":"a"})",
       "event.data_types: must be an array of strings"},
      {R"({"event_type":"door","tags":["a",{}]})",
       "event.tags[1]: must be a string: a custom event's arrays hold strings only"},
      {R"({"event_type":"door","a":{"b":[1]}})", "event.a.b[0]: must be a string"},
      {"{\"event_type\":\"door\",\"a\":\"\xff\"}", "event: not valid UTF-8"},
  };
  for (const auto& [input, message] : cases) {
    const Result<Event> r = EventFromJson(input);
    ASSERT_FALSE(r.ok()) << input;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << input;
    EXPECT_NE(r.status().message().find(message), std::string::npos)
        << input << " -> " << r.status().message();
  }
}

TEST(EventJsonTest, TimestampsAndResultsUseTheRecordShapes) {
  ASSERT_OK_AND_ASSIGN(Event e, EventFromJson(R"({"event_type":"task_completed","task_id":"t",)"
                                              R"("result":{"failure":{"reason":"oom"}}})"));
  EXPECT_EQ(std::get<TaskCompleted>(e).result.kind, AuditResult::Kind::kFailure);
  EXPECT_EQ(std::get<TaskCompleted>(e).result.detail, "oom");
  for (const char* bad : {R"("failed")", R"({"failure":"oom"})", R"({"failure":{"why":"x"}})",
                          R"({"failure":{"reason":"a"},"success":1})", "{}"}) {
    const std::string text =
        std::string(R"({"event_type":"task_completed","task_id":"t","result":)") + bad + "}";
    const Result<Event> r = EventFromJson(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("event.result"), std::string::npos) << r.status().message();
  }
  // Found by the fuzz target: a year the 64-bit nanosecond clock cannot hold.
  const Result<Event> late = EventFromJson(
      R"({"event_type":"token_created","token_fingerprint":"t","expires_at":"7481-05-27T10:00:00.000000Z"})");
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.status().message().find("event.expires_at: is outside the years"),
            std::string::npos)
      << late.status().message();
  const Result<Event> r = EventFromJson(
      R"({"event_type":"token_created","token_fingerprint":"t","expires_at":"tomorrow"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("event.expires_at: must be a timestamp"), std::string::npos)
      << r.status().message();
}

TEST(EventJsonTest, DepthAndLengthAreBounded) {
  std::string deep = R"({"event_type":"door","a":)";
  for (std::size_t i = 0; i < kMaxNestingDepth + 1; ++i) deep += R"({"a":)";
  deep += "1";
  for (std::size_t i = 0; i < kMaxNestingDepth + 1; ++i) deep += "}";
  deep += "}";
  Result<Event> r = EventFromJson(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("event: nested deeper than"), std::string::npos)
      << r.status().message();

  std::string shallow = R"({"event_type":"door","a":)";
  for (std::size_t i = 0; i + 2 < kMaxNestingDepth; ++i) shallow += R"({"a":)";
  shallow += "1";
  for (std::size_t i = 0; i + 2 < kMaxNestingDepth; ++i) shallow += "}";
  shallow += "}";
  EXPECT_TRUE(EventFromJson(shallow).ok());

  std::string huge = R"({"event_type":"door","a":")" + std::string(kMaxEventJsonBytes, 'x') + "\"}";
  r = EventFromJson(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("event: longer than"), std::string::npos);
}

TEST(EventJsonTest, ADecoderIsReusable) {
  EventJsonDecoder decoder;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(Event e,
                         decoder.Decode(R"({"event_type":"door","n":)" + std::to_string(i) + "}"));
    EXPECT_EQ(std::get<std::int64_t>(std::get<CustomEvent>(e).fields[0].value.storage()), i);
    EXPECT_FALSE(decoder.Decode("{").ok());
  }
}

}  // namespace
}  // namespace auditlog
