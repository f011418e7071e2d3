// Shared helpers of the reading subcommands; see cli_util.h.
#include "cli_util.h"

#include <simdjson.h>

#include "read/query_internal.h"
#include "format/record_format.h"
#include "format/sanitize.h"
#include "terminal.h"

namespace auditlog::cli {

void PrintError(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "auditlog %s: %s\n", SafeText(command).c_str(), SafeText(message).c_str());
}

std::optional<Time> ParseTimeArg(std::string_view command, std::string_view arg_name,
                                 const std::string& text, TimeBound bound) {
  auto t = ParseTime(text, bound);
  if (!t.ok()) {
    PrintError(command, std::string(arg_name) + ": " + t.status().message());
    return std::nullopt;
  }
  return *t;
}

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length (0: invalid).
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t* cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t c = 0;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    len = 2;
    c = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    c = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    c = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cb = static_cast<unsigned char>(s[i + k]);
    if ((cb & 0xC0) != 0x80) return 0;
    c = (c << 6) | (cb & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[len] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return 0;
  *cp = c;
  return len;
}

void AppendEscape(char32_t cp, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char esc[6] = {
      '\\',          'u', kHex[(cp >> 12) & 0xF], kHex[(cp >> 8) & 0xF], kHex[(cp >> 4) & 0xF],
      kHex[cp & 0xF]};
  out->append(esc, 6);
}

// `s` made terminal-safe, then cut or padded to `width` code points.
std::string Fit(std::string_view raw, std::size_t width) {
  const std::string s = SafeText(raw);
  std::string out;
  std::size_t cps = 0, i = 0;
  while (i < s.size()) {
    char32_t cp;
    std::size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) len = 1;  // cannot happen after SafeText; stay safe anyway
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

}  // namespace

std::string SafeJsonLine(std::string_view line) {
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

bool ParseRecordLine(std::string_view line, Record* out) {
  thread_local internal::RecordParser parser;
  internal::RecordView r;
  if (!parser.Parse(line, &r, /*compute_hash=*/false).ok()) return false;
  internal::FillRecord(r, line, out);
  return true;
}

void RecordPrinter::Print(const Record& r) {
  if (format_ == OutputFormat::kJsonl) {
    const std::string safe = SafeJsonLine(r.line);
    std::fwrite(safe.data(), 1, safe.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  if (!header_done_) {
    std::printf("%-10s %-27s %-26s %-4s %-20s %s\n", "SEQ", "TIME", "TYPE", "CRIT", "ACTOR",
                "SUMMARY");
    header_done_ = true;
  }
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
  std::fwrite(row.data(), 1, row.size(), stdout);
}

}  // namespace auditlog::cli
