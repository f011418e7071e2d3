// libFuzzer target: the CLI's --since/--until parser, auditlog::ParseTime (tools/cli_util.cc
// calls it for every time argument; this target is coupled to that one function).
// Property: an accepted text denotes exactly the instant an independent computation gives
// (proleptic Gregorian calendar, offset applied, microseconds truncated, a date-only
// upper bound at the day's last microsecond). A date the result type cannot hold must be
// rejected, never silently wrapped (issue 8 case 17).
#include <optional>
#include <string>

#include "auditlog/query.h"
#include "fuzz_util.h"

namespace {

std::int64_t Num(std::string_view s, std::size_t pos, std::size_t n) {
  std::int64_t v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The instant `s` denotes, in microseconds. REQUIRES: ParseTime accepted `s`, so its fixed
// positions hold digits.
std::int64_t Expected(std::string_view s, auditlog::TimeBound bound) {
  std::int64_t secs = DaysFromCivil(Num(s, 0, 4), Num(s, 5, 2), Num(s, 8, 2)) * 86400;
  std::int64_t micros = 0;
  if (s.size() == 10) {
    return secs * 1000000 + (bound == auditlog::TimeBound::kEnd ? 86400LL * 1000000 - 1 : 0);
  }
  secs += Num(s, 11, 2) * 3600 + Num(s, 14, 2) * 60 + Num(s, 17, 2);
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    int n = 0;
    for (; s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n) {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
    }
    for (; n < 6; ++n) micros *= 10;
  }
  if (s[pos] == '+' || s[pos] == '-') {
    const std::int64_t off = Num(s, pos + 1, 2) * 3600 + Num(s, pos + 4, 2) * 60;
    secs -= s[pos] == '+' ? off : -off;
  }
  return secs * 1000000 + micros;
}

// The one call into the code under test: change only this if ParseTime's result type
// changes (e.g. to hold dates past 2262).
std::optional<std::int64_t> ParseToMicros(std::string_view text, auditlog::TimeBound bound) {
  auto t = auditlog::ParseTime(text, bound);
  if (!t.ok()) return std::nullopt;
  return auditlog::TimeToMicros(*t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto bound = (data[0] & 1) ? auditlog::TimeBound::kEnd : auditlog::TimeBound::kStart;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::optional<std::int64_t> parsed = ParseToMicros(text, bound);
  if (!parsed) return 0;
  // Years 0000-9999 fit comfortably in int64 microseconds.
  const std::int64_t want = Expected(text, bound);
  const std::int64_t got = *parsed;
  FUZZ_CHECK(got == want, std::string(text) + ": got " + std::to_string(got) + " micros, want " +
                              std::to_string(want));
  return 0;
}
