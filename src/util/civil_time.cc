// UTC calendar arithmetic; see civil_time.h.
#include "util/civil_time.h"

#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>

namespace auditlog::internal {

namespace chr = std::chrono;

namespace {

// The Gregorian calendar repeats every 400 years, which are exactly this many days; days
// are reduced by whole cycles to stay in std::chrono::year's range.
constexpr std::int64_t kDaysPer400Years = 146097;
constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kSecondsPerDay = 86400;

// Floor division (rounds toward negative infinity, unlike '/').
constexpr std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

void TwoDigits(unsigned v, char* p) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "-MM-DDTHH:MM:SS" (15 bytes): what follows the year in a timestamp.
void FormatAfterYear(const CivilDate& date, unsigned secs_of_day, char* p) {
  p[0] = '-';
  TwoDigits(date.month, p + 1);
  p[3] = '-';
  TwoDigits(date.day, p + 4);
  p[6] = 'T';
  TwoDigits(secs_of_day / 3600, p + 7);
  p[9] = ':';
  TwoDigits(secs_of_day / 60 % 60, p + 10);
  p[12] = ':';
  TwoDigits(secs_of_day % 60, p + 13);
}

// "YYYY-MM-DDTHH:MM:SS" of `secs` since the epoch into `buf` (19 bytes). False outside the
// years 1000-9999, whose year is not 4 digits.
bool FormatSeconds(std::int64_t secs, char* buf) {
  const std::int64_t days = FloorDiv(secs, kSecondsPerDay);
  const CivilDate date = CivilFromDays(days);
  if (date.year < 1000 || date.year > 9999) return false;
  const auto y = static_cast<unsigned>(date.year);
  TwoDigits(y / 100, buf);
  TwoDigits(y % 100, buf + 2);
  FormatAfterYear(date, static_cast<unsigned>(secs - days * kSecondsPerDay), buf + 4);
  return true;
}

// The date-time of `secs` for any year: the year unpadded, as strftime's %Y renders it.
void AppendWideSeconds(std::int64_t secs, std::string* out) {
  const std::int64_t days = FloorDiv(secs, kSecondsPerDay);
  const CivilDate date = CivilFromDays(days);
  char buf[24 + 15];
  char* end = std::to_chars(buf, buf + 24, date.year).ptr;
  FormatAfterYear(date, static_cast<unsigned>(secs - days * kSecondsPerDay), end);
  out->append(buf, static_cast<std::size_t>(end + 15 - buf));
}

}  // namespace

CivilDate CivilFromDays(std::int64_t days) {
  const std::int64_t cycles = FloorDiv(days, kDaysPer400Years);
  // [0, 146096] days from 1970-01-01: within years 1970-2369.
  const chr::year_month_day ymd{chr::sys_days{chr::days{days - cycles * kDaysPer400Years}}};
  return CivilDate{static_cast<int>(ymd.year()) + cycles * 400, static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())};
}

std::optional<std::int64_t> DaysFromCivil(int year, unsigned month, unsigned day) {
  // chrono::year holds a short, chrono::month and chrono::day an unsigned char: a value
  // beyond would wrap into a valid one.
  if (year < -32767 || year > 32767 || month > 12 || day > 31) return std::nullopt;
  const chr::year_month_day ymd{chr::year{year}, chr::month{month}, chr::day{day}};
  if (!ymd.ok()) return std::nullopt;
  return chr::sys_days{ymd}.time_since_epoch().count();
}

std::int64_t UtcDay(std::int64_t micros) {
  return chr::floor<chr::days>(chr::microseconds{micros}).count();
}

void AppendTimestamp(std::int64_t micros, std::string* out) {
  std::int64_t secs = micros / kMicrosPerSecond;
  std::int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) {  // before 1970: keep the fraction positive
    frac += kMicrosPerSecond;
    --secs;
  }
  // The writer stamps hundreds of thousands of records per second, nearly all within the
  // same second as the previous one: the date-time part is cached per thread and only the
  // fraction is formatted per call.
  thread_local std::int64_t cached_secs = std::numeric_limits<std::int64_t>::min();
  thread_local char cached[19];
  // Record timestamp layout: 19 bytes of date-time, '.', 6 fraction digits, 'Z'.
  char buf[28];
  if (secs == cached_secs) {
    std::memcpy(buf, cached, 19);
  } else if (FormatSeconds(secs, buf)) {
    std::memcpy(cached, buf, 19);
    cached_secs = secs;
  } else {
    AppendWideSeconds(secs, out);
    char fbuf[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
    for (int i = 6; i >= 1; --i) {
      fbuf[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    out->append(fbuf, 8);
    return;
  }
  buf[19] = '.';
  for (int i = 25; i >= 20; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  buf[26] = 'Z';
  out->append(buf, 27);
}

std::string FormatTimestamp(std::int64_t micros) {
  std::string s;
  AppendTimestamp(micros, &s);
  return s;
}

std::optional<std::int64_t> ParseTimestamp(std::string_view ts) {
  // 0123456789012345678901234567
  // 2026-11-27T00:57:42.123456Z
  if (ts.size() != 27) return std::nullopt;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (kShape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != kShape[i]) return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (ts[i] - '0');
    return v;
  };
  const int hour = num(11, 2), min = num(14, 2), sec = num(17, 2);
  if (hour > 23 || min > 59 || sec > 59) return std::nullopt;
  const auto days =
      DaysFromCivil(num(0, 4), static_cast<unsigned>(num(5, 2)), static_cast<unsigned>(num(8, 2)));
  if (!days) return std::nullopt;
  return ((*days * kSecondsPerDay + hour * 3600 + min * 60 + sec) * kMicrosPerSecond) + num(20, 6);
}

}  // namespace auditlog::internal
