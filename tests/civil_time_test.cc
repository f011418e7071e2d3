// The civil-time utility (src/util/civil_time.h): days <-> dates on <chrono>'s calendar,
// the record timestamp form, and its parser.
#include "util/civil_time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace auditlog::internal {
namespace {

constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000;

void ExpectDate(std::int64_t days, std::int64_t year, unsigned month, unsigned day) {
  const CivilDate d = CivilFromDays(days);
  EXPECT_EQ(d.year, year) << days;
  EXPECT_EQ(d.month, month) << days;
  EXPECT_EQ(d.day, day) << days;
}

TEST(CivilTimeTest, DaysToDates) {
  ExpectDate(0, 1970, 1, 1);
  ExpectDate(-1, 1969, 12, 31);
  ExpectDate(59, 1970, 3, 1);      // 1970 is not a leap year
  ExpectDate(11016, 2000, 2, 29);  // 2000 is (divisible by 400)
  ExpectDate(-25508, 1900, 3, 1);  // 1900 is not (divisible by 100)
  ExpectDate(19782, 2024, 2, 29);
  ExpectDate(2932896, 9999, 12, 31);
  ExpectDate(2932897, 10000, 1, 1);
  ExpectDate(-719528, 0, 1, 1);
  ExpectDate(-719529, -1, 12, 31);
}

TEST(CivilTimeTest, DaysOutsideTheChronoYearRange) {
  // One 400-year cycle is 146097 days, whatever the starting day.
  for (const std::int64_t days : {std::int64_t{0}, std::int64_t{11016}, std::int64_t{-1}}) {
    const CivilDate d = CivilFromDays(days);
    const CivilDate far = CivilFromDays(days + 1000 * 146097LL);
    const CivilDate before = CivilFromDays(days - 1000 * 146097LL);
    EXPECT_EQ(far.year, d.year + 400000);
    EXPECT_EQ(before.year, d.year - 400000);
    EXPECT_EQ(far.month, d.month);
    EXPECT_EQ(far.day, d.day);
    EXPECT_EQ(before.day, d.day);
  }
  const CivilDate max = CivilFromDays(std::numeric_limits<std::int64_t>::max() / kMicrosPerDay);
  EXPECT_EQ(max.year, 294247);
}

TEST(CivilTimeTest, DatesToDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 2, 29), 11016);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
  EXPECT_EQ(DaysFromCivil(0, 1, 1), -719528);
  for (std::int64_t days = -800000; days <= 3000000; days += 997) {
    const CivilDate d = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(static_cast<int>(d.year), d.month, d.day), days);
  }
}

TEST(CivilTimeTest, ImpossibleDatesAreRejected) {
  EXPECT_FALSE(DaysFromCivil(2026, 2, 29));  // not a leap year
  EXPECT_FALSE(DaysFromCivil(1900, 2, 29));  // divisible by 100, not by 400
  EXPECT_FALSE(DaysFromCivil(2026, 2, 30));
  EXPECT_FALSE(DaysFromCivil(2026, 4, 31));
  EXPECT_FALSE(DaysFromCivil(2026, 0, 1));
  EXPECT_FALSE(DaysFromCivil(2026, 13, 1));
  EXPECT_FALSE(DaysFromCivil(2026, 1, 0));
  EXPECT_FALSE(DaysFromCivil(2026, 1, 32));
  EXPECT_FALSE(DaysFromCivil(2026, 256 + 1, 1));  // not truncated into a valid month
  EXPECT_FALSE(DaysFromCivil(2026, 1, 256 + 1));
  EXPECT_FALSE(DaysFromCivil(40000, 1, 1));  // beyond std::chrono::year, not wrapped into it
  EXPECT_FALSE(DaysFromCivil(-40000, 1, 1));
}

TEST(CivilTimeTest, UtcDayRoundsDown) {
  EXPECT_EQ(UtcDay(0), 0);
  EXPECT_EQ(UtcDay(kMicrosPerDay - 1), 0);
  EXPECT_EQ(UtcDay(kMicrosPerDay), 1);
  EXPECT_EQ(UtcDay(-1), -1);
  EXPECT_EQ(UtcDay(-kMicrosPerDay), -1);
  EXPECT_EQ(UtcDay(-kMicrosPerDay - 1), -2);
}

TEST(CivilTimeTest, FormatsRfc3339WithMicroseconds) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(951782400000000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(253402300799999999), "9999-12-31T23:59:59.999999Z");
  // Twice the same second: the second call comes from the per-thread cache.
  EXPECT_EQ(FormatTimestamp(1764204962123456), "2025-11-27T00:56:02.123456Z");
  EXPECT_EQ(FormatTimestamp(1764204962654321), "2025-11-27T00:56:02.654321Z");
  std::string s = "x";
  AppendTimestamp(0, &s);
  EXPECT_EQ(s, "x1970-01-01T00:00:00.000000Z");
}

TEST(CivilTimeTest, YearsOutside1000To9999AreUnpadded) {
  // As strftime's %Y renders them (the record form of such times never changed).
  EXPECT_EQ(FormatTimestamp(253402300800000000), "10000-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(-30610224000000001), "999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(-62167219200000000), "0-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(-62167219200000001), "-1-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(std::numeric_limits<std::int64_t>::max()),
            "294247-01-10T04:00:54.775807Z");
  EXPECT_EQ(FormatTimestamp(std::numeric_limits<std::int64_t>::min()),
            "-290308-12-21T19:59:05.224192Z");
}

TEST(CivilTimeTest, ParsesTheRecordForm) {
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00.000000Z"), 0);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:59:59.999999Z"), -1);
  EXPECT_EQ(ParseTimestamp("2024-02-29T12:00:00.000001Z"), 1709208000000001);
  EXPECT_EQ(ParseTimestamp("9999-12-31T23:59:59.999999Z"), 253402300799999999);
  EXPECT_EQ(ParseTimestamp("0000-01-01T00:00:00.000000Z"), -62167219200000000);
  for (const std::int64_t micros :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{951782400000000},
        std::int64_t{-30610224000000000} /* 1000-01-01 */, std::int64_t{253402300799999999}}) {
    EXPECT_EQ(ParseTimestamp(FormatTimestamp(micros)), micros) << micros;
  }
}

TEST(CivilTimeTest, ParseRejectsWhatIsNotTheRecordForm) {
  for (const char* bad :
       {"2026-02-29T00:00:00.000000Z",  // not a leap year
        "1900-02-29T00:00:00.000000Z", "2026-04-31T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z",
        "2026-00-01T00:00:00.000000Z", "2026-01-00T00:00:00.000000Z", "2026-01-01T24:00:00.000000Z",
        "2026-01-01T00:60:00.000000Z",
        "2026-01-01T00:00:60.000000Z",  // leap second
        "-001-01-01T00:00:00.000000Z",  // negative years are not written
        "10000-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.00000Z", "2026-01-01T00:00:00.000000z",
        "2026-01-01 00:00:00.000000Z", "2026-01-01T00:00:00Z", "2026-1-01T00:00:00.0000000Z", ""}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace auditlog::internal
