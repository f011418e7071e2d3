// JSON text building; see json_writer.h.
#include "util/json_writer.h"

#include <charconv>
#include <cstring>
#include <ctime>
#include <limits>

namespace auditlog::internal {

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendUint(std::uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendInt(std::int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

namespace {

// Days since 1970-01-01 -> proleptic Gregorian (year, month, day); Howard Hinnant's
// civil_from_days, exact for every int64 day count that fits the year range used here.
void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  *d = doy - (153 * mp + 2) / 5 + 1;                                           // [1, 31]
  *m = mp < 10 ? mp + 3 : mp - 9;                                              // [1, 12]
  *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

void TwoDigits(unsigned v, char* p) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DDTHH:MM:SS" of `secs` into `buf` (19 bytes). False outside years 1000-9999, for
// which the caller falls back to strftime's rendering (its %Y does not zero-pad).
bool FormatSeconds(std::int64_t secs, char* buf) {
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  if (year < 1000 || year > 9999) return false;
  const auto y = static_cast<unsigned>(year);
  TwoDigits(y / 100, buf);
  TwoDigits(y % 100, buf + 2);
  buf[4] = '-';
  TwoDigits(month, buf + 5);
  buf[7] = '-';
  TwoDigits(day, buf + 8);
  buf[10] = 'T';
  const auto r = static_cast<unsigned>(rem);
  TwoDigits(r / 3600, buf + 11);
  buf[13] = ':';
  TwoDigits(r / 60 % 60, buf + 14);
  buf[16] = ':';
  TwoDigits(r % 60, buf + 17);
  return true;
}

}  // namespace

void AppendTimestamp(std::int64_t micros, std::string* out) {
  std::int64_t secs = micros / 1000000;
  std::int64_t frac = micros % 1000000;
  if (frac < 0) {  // before 1970: keep the fraction positive
    frac += 1000000;
    --secs;
  }
  // The writer stamps hundreds of thousands of records per second, nearly all within the
  // same second as the previous one: the date-time part is cached per thread and only the
  // fraction is formatted per call. (gmtime_r + strftime cost ~100 ns per record.)
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
    // Outside 1000-9999 (never a real record time): render as strftime always did.
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char wide[40];
    const std::size_t n = std::strftime(wide, sizeof wide, "%Y-%m-%dT%H:%M:%S", &tm);
    out->append(wide, n);
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

}  // namespace auditlog::internal
