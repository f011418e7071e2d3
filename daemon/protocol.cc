// Request parsing with simdjson's On-Demand API: the request object is walked once, the
// "event" object is handed on as its raw text (EventJsonDecoder validates it fully), the
// "id" is kept as raw text and validated by a DOM parse of its own, so that whatever a
// response echoes is valid JSON. Every byte of an accepted line is validated by one of them.
#include "protocol.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

namespace auditlogd {
namespace {

using auditlog::Status;
namespace od = simdjson::ondemand;

constexpr std::string_view kJsonWhitespace = " \t\r\n";

std::string_view TrimTrailingWhitespace(std::string_view s) {
  const auto end = s.find_last_not_of(kJsonWhitespace);
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

bool IsSnakeCase(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status NotJson(simdjson::error_code err) {
  if (err == simdjson::UTF8_ERROR) return Status::InvalidArgument("request: not valid UTF-8");
  if (err == simdjson::EMPTY) return Status::InvalidArgument("request: empty line");
  return Status::InvalidArgument(std::string("request: not valid JSON (") +
                                 simdjson::error_message(err) + ")");
}

Status UnknownMember(std::string_view key) {
  if (key == "origin") {
    return Status::InvalidArgument(
        "request: \"origin\" cannot be set by a client: the daemon records the connection's "
        "kernel-attested identity (SO_PEERCRED)");
  }
  const std::string name = IsSnakeCase(key) ? "\"" + std::string(key) + "\"" : "a member";
  return Status::InvalidArgument(
      "request: " + name + " is not a request member (allowed: event, durable, id, critical)");
}

}  // namespace

struct RequestParser::Impl {
  od::parser parser;
  simdjson::dom::parser id_parser;
  std::vector<char> padded;  // the line, copied with simdjson's padding after it

  Impl() {
    // A failure here (out of memory) is reported by the first parse() as MEMALLOC.
    const simdjson::error_code ignored = id_parser.allocate(4096, kMaxIdNestingDepth);
    (void)ignored;
  }

  // Reads the value of "id" as raw text and checks it is one valid JSON value.
  Status ReadId(od::value value, std::string* id);
  // Walks the members of the request object into `*r`. A JSON-level error (the line is
  // not valid JSON after all) is returned; a request-level one is recorded in r->status and
  // the walk goes on, so that the id is still found for the error response.
  simdjson::error_code ReadMembers(od::object object, Request* r);
};

Status RequestParser::Impl::ReadId(od::value value, std::string* id) {
  od::json_type type;
  if (auto err = value.type().get(type)) return NotJson(err);
  std::string_view text;
  simdjson::error_code err = simdjson::SUCCESS;
  if (type == od::json_type::object) {
    od::object o;
    err = value.get_object().get(o);
    if (!err) err = o.raw_json().get(text);
  } else if (type == od::json_type::array) {
    od::array a;
    err = value.get_array().get(a);
    if (!err) err = a.raw_json().get(text);
  } else {
    text = value.raw_json_token();
  }
  if (err) return NotJson(err);
  text = TrimTrailingWhitespace(text);
  simdjson::dom::element ignored;
  if (auto e = id_parser.parse(text.data(), text.size()).get(ignored)) {
    if (e == simdjson::DEPTH_ERROR) {
      return Status::InvalidArgument("id: nested deeper than " +
                                     std::to_string(kMaxIdNestingDepth) + " levels");
    }
    return Status::InvalidArgument(std::string("id: not valid JSON (") +
                                   simdjson::error_message(e) + ")");
  }
  id->assign(text);
  return Status::Ok();
}

simdjson::error_code RequestParser::Impl::ReadMembers(od::object object, Request* r) {
  bool seen_event = false, seen_durable = false, seen_id = false, seen_critical = false;
  auto note = [r](Status s) {
    if (r->status.ok()) r->status = std::move(s);
  };
  for (auto field_result : object) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return err;
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    od::value value = field.value();
    bool* seen = key == "event"      ? &seen_event
                 : key == "durable"  ? &seen_durable
                 : key == "id"       ? &seen_id
                 : key == "critical" ? &seen_critical
                                     : nullptr;
    if (seen == nullptr) {
      note(UnknownMember(key));
      continue;  // On-Demand skips the unread value
    }
    if (*seen) {
      note(Status::InvalidArgument("request: \"" + std::string(key) + "\" appears twice"));
      continue;
    }
    *seen = true;
    if (key == "id") {
      Status s = ReadId(value, &r->id);
      if (!s.ok()) {
        r->id = "null";
        note(std::move(s));
      }
    } else if (key == "event") {
      od::object event;
      std::string_view text;
      if (value.get_object().get(event)) {
        note(Status::InvalidArgument("event: must be a JSON object"));
      } else if (auto err = event.raw_json().get(text)) {
        return err;
      } else {
        r->event_json = TrimTrailingWhitespace(text);
      }
    } else {
      bool flag = false;
      if (value.get_bool().get(flag)) {
        note(Status::InvalidArgument(std::string(key) + ": must be true or false"));
      } else if (key == "durable") {
        r->durable = flag;
      } else {
        r->critical = flag;
        r->critical_given = true;
      }
    }
  }
  if (!seen_event) {
    note(Status::InvalidArgument(
        "event: missing (a request is {\"event\":{\"event_type\":...}, \"durable\":..., "
        "\"id\":..., \"critical\":...})"));
  }
  return simdjson::SUCCESS;
}

RequestParser::RequestParser() : impl_(std::make_unique<Impl>()) {}
RequestParser::~RequestParser() = default;

Request RequestParser::Parse(std::string_view line) {
  Request r;
  if (line.size() > kMaxRequestLineBytes) {
    r.status = Status::InvalidArgument("request: longer than " +
                                       std::to_string(kMaxRequestLineBytes) + " bytes");
    return r;
  }
  std::vector<char>& buf = impl_->padded;
  buf.resize(line.size() + simdjson::SIMDJSON_PADDING);
  if (!line.empty()) std::memcpy(buf.data(), line.data(), line.size());
  std::memset(buf.data() + line.size(), ' ', simdjson::SIMDJSON_PADDING);
  const std::string_view text(buf.data(), line.size());

  od::document doc;
  if (auto err = impl_->parser.iterate(buf.data(), line.size(), buf.size()).get(doc)) {
    r.status = NotJson(err);
    return r;
  }
  // The root value's extent (a structural skip) shows trailing content, which a walk of the
  // object's members would not; then the walk starts again from the top.
  std::string_view root;
  if (auto err = doc.raw_json().get(root)) {
    r.status = NotJson(err);
    return r;
  }
  const std::size_t root_end = static_cast<std::size_t>(root.data() - text.data()) + root.size();
  if (text.find_first_not_of(kJsonWhitespace, root_end) != std::string_view::npos) {
    r.status = NotJson(simdjson::TRAILING_CONTENT);
    return r;
  }
  doc.rewind();
  od::object object;
  if (doc.get_object().get(object)) {
    r.status = Status::InvalidArgument("request: must be a JSON object");
    return r;
  }
  if (auto err = impl_->ReadMembers(object, &r)) {
    r = Request{};
    r.status = NotJson(err);
    return r;
  }
  if (!r.status.ok()) {
    r.event_json = {};
    r.durable = r.critical = r.critical_given = false;
  }
  return r;
}

void AppendSuccess(std::string_view id, std::uint64_t seq, bool durable, std::string* out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, seq).ptr;
  out->append("{\"id\":").append(id).append(",\"seq\":");
  out->append(digits, end);
  out->append(durable ? ",\"durable\":true}\n" : ",\"durable\":false}\n");
}

void AppendError(std::string_view id, const Status& status, std::string* out) {
  // nlohmann's dump escapes control characters and, with `replace`, turns invalid UTF-8
  // into U+FFFD: the response stays one valid JSON line whatever the message holds.
  const std::string code = nlohmann::json(std::string(auditlog::StatusCodeName(status.code())))
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string message = nlohmann::json(status.message())
                                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out->append("{\"id\":").append(id).append(",\"error\":{\"code\":").append(code);
  out->append(",\"message\":").append(message).append("}}\n");
}

}  // namespace auditlogd
