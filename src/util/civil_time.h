// UTC calendar arithmetic and the record timestamp form, on <chrono>'s calendar types
// (std::chrono::year_month_day, sys_days): the one place that converts between instants and
// dates. Proleptic Gregorian calendar, no leap seconds, counting from 1970-01-01T00:00:00Z,
// as std::chrono::system_clock does. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auditlog::internal {

// A calendar date. `year` is wider than std::chrono::year (±32,767) because an int64 count
// of microseconds reaches the years ±292,277, and such times are still rendered.
struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // [1, 12]
  unsigned day = 1;    // [1, 31]
};

// The date of day `days` since 1970-01-01 (negative before), for every int64 day count.
CivilDate CivilFromDays(std::int64_t days);

// The day count of a date; nullopt unless it exists (month 1-12, a day of that month, Feb 29
// only in leap years). `year` is in std::chrono::year's range [-32767, 32767].
std::optional<std::int64_t> DaysFromCivil(int year, unsigned month, unsigned day);

// The UTC day (days since 1970-01-01, rounded down) that `micros` since the epoch falls on.
std::int64_t UtcDay(std::int64_t micros);

// RFC 3339 UTC with exactly six fraction digits: "2026-11-27T00:57:42.123456Z". A year
// outside 1000-9999 (never a real record time) is written as strftime's %Y writes it (no
// zero padding, a '-' sign), as the record form always was.
void AppendTimestamp(std::int64_t micros_since_epoch, std::string* out);
std::string FormatTimestamp(std::int64_t micros_since_epoch);

// Parses "YYYY-MM-DDTHH:MM:SS.ffffffZ" exactly (the form AppendTimestamp writes for the years
// 0000-9999) into microseconds since the epoch. nullopt if malformed, not a calendar date,
// or a leap second (":60", which writers never produce).
std::optional<std::int64_t> ParseTimestamp(std::string_view ts);

}  // namespace auditlog::internal
