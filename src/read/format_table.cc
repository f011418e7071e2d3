// Terminal-safe display of records; see auditlog/format_table.h.
#include "auditlog/format_table.h"

#include <simdjson.h>

#include <cstdio>
#include <limits>

#include "format/sanitize.h"
#include "util/utf8.h"

namespace auditlog {

namespace {

using internal::DecodeUtf8;

void AppendEscape(char32_t cp, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char esc[6] = {
      '\\',          'u', kHex[(cp >> 12) & 0xF], kHex[(cp >> 8) & 0xF], kHex[(cp >> 4) & 0xF],
      kHex[cp & 0xF]};
  out->append(esc, 6);
}

// `raw` made terminal-safe, then cut or padded to `width` code points.
std::string Fit(std::string_view raw, std::size_t width) {
  const std::string s = TerminalSafeText(raw);
  std::string out;
  std::size_t cps = 0, i = 0;
  while (i < s.size()) {
    char32_t cp;
    std::size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) len = 1;  // cannot happen after TerminalSafeText; stay safe anyway
    if (cps + 1 == width && i + len < s.size()) {
      out += "\xE2\x80\xA6";  // "…"
      ++cps;
      i = s.size();
      break;
    }
    out.append(s, i, len);
    ++cps;
    i += len;
  }
  if (cps < width) out.append(width - cps, ' ');
  return out;
}

std::string ScalarText(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(v);
}

// The event object of a record, or an error. simdjson, not nlohmann::ordered_json: the
// latter looks up each member linearly while parsing, quadratic in an object's members
// (a record of kMaxRecordBytes holds 100k+). Views stay valid until the next call.
simdjson::simdjson_result<simdjson::dom::object> ParseEvent(std::string_view event_json) {
  thread_local simdjson::dom::parser parser;
  return parser.parse(event_json.data(), event_json.size()).get_object();
}

// Who an event is about: actor.user_id, attempted_user, requester, subject or customer_id
// (the first present). Raw (not yet terminal-safe).
std::string EventActor(std::string_view event_json) {
  simdjson::dom::object j;
  if (ParseEvent(event_json).get(j) != simdjson::SUCCESS) return "";
  std::string_view value;
  if (j["actor"]["user_id"].get_string().get(value) == simdjson::SUCCESS) {
    return std::string(value);
  }
  for (const char* key : {"attempted_user", "requester", "subject", "customer_id"}) {
    if (j[key].get_string().get(value) == simdjson::SUCCESS) return std::string(value);
  }
  return "";
}

// A one-line "key=value ..." summary of the event's other members. Raw.
std::string EventSummary(std::string_view event_json) {
  simdjson::dom::object j;
  if (ParseEvent(event_json).get(j) != simdjson::SUCCESS) return "";
  std::string out;
  for (auto field : j) {
    if (field.key == "event_type" || field.key == "actor") continue;
    if (!out.empty()) out += ' ';
    out += field.key;
    out += '=';
    out += ScalarText(field.value);
    if (out.size() > 400) break;
  }
  return out;
}

}  // namespace

std::string TerminalSafeText(std::string_view s) {
  constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();
  if (internal::IsAlreadySafe(s, kNoLimit)) return std::string(s);
  std::string out;
  internal::SanitizeString(s, kNoLimit, &out);
  return out;
}

std::string TerminalSafeJsonLine(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  std::size_t i = 0;
  while (i < line.size()) {
    const auto b = static_cast<unsigned char>(line[i]);
    if (b >= 0x20 && b < 0x7F) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8(line, i, &cp);
    if (len == 0) {  // not UTF-8: U+FFFD keeps it visible and valid
      AppendEscape(0xFFFD, &out);
      ++i;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || internal::IsForbiddenCodePoint(cp)) {
      AppendEscape(cp, &out);
    } else {
      out.append(line.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string FormatTableHeader() {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%-10s %-27s %-26s %-4s %-20s %s\n", "SEQ", "TIME", "TYPE", "CRIT",
                "ACTOR", "SUMMARY");
  return buf;
}

std::string FormatTableRow(const Record& r) {
  std::string row = Fit(std::to_string(r.seq), 10);
  row += ' ';
  row += Fit(r.timestamp, 27);
  row += ' ';
  row += Fit(r.event_type, 26);
  row += ' ';
  row += Fit(r.critical ? "yes" : "", 4);
  row += ' ';
  row += Fit(EventActor(r.event_json), 20);
  row += ' ';
  std::string summary = Fit(EventSummary(r.event_json), 100);
  while (!summary.empty() && summary.back() == ' ') summary.pop_back();
  row += summary;
  row += '\n';
  return row;
}

}  // namespace auditlog
