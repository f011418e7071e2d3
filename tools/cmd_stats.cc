// `auditlog stats DIR [--json]`: counts by event type, criticality and day; first and last
// record; neutralized-field and recovery counts; see docs/CLI.md.
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "auditlog/query.h"
#include "cli_util.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct StatsArgs {
  std::string dir;
  bool json = false;
};

struct Summary {
  std::uint64_t records = 0, critical = 0, sanitized_records = 0, sanitized_fields = 0,
                recoveries = 0;
  std::map<std::string, std::uint64_t> by_type, by_day, by_service;
  std::optional<Record> first, last;
};

nlohmann::json RecordRef(const Record& r) {
  return {{"seq", r.seq},
          {"audit_id", r.audit_id},
          {"timestamp", r.timestamp},
          {"event_type", r.event_type},
          {"hash", r.hash},
          {"segment", r.segment}};
}

void PrintText(const std::string& dir, const Summary& s, const QueryCursor& c) {
  std::printf("log:          %s\n", SafeText(dir).c_str());
  std::printf("segments:     %llu (%s read)\n", static_cast<unsigned long long>(c.segments_total()),
              HumanBytes(static_cast<double>(c.bytes_read())).c_str());
  std::printf("records:      %llu (%llu critical, %llu routine)\n",
              static_cast<unsigned long long>(s.records),
              static_cast<unsigned long long>(s.critical),
              static_cast<unsigned long long>(s.records - s.critical));
  if (s.first) {
    std::printf("first:        seq %llu at %s (%s)\n",
                static_cast<unsigned long long>(s.first->seq), SafeText(s.first->timestamp).c_str(),
                SafeText(s.first->event_type).c_str());
    std::printf("last:         seq %llu at %s (%s)\n", static_cast<unsigned long long>(s.last->seq),
                SafeText(s.last->timestamp).c_str(), SafeText(s.last->event_type).c_str());
    std::printf("last hash:    %s\n", SafeText(s.last->hash).c_str());
  }
  std::printf("neutralized:  %llu record(s) with altered fields (%llu field(s))\n",
              static_cast<unsigned long long>(s.sanitized_records),
              static_cast<unsigned long long>(s.sanitized_fields));
  std::printf("recoveries:   %llu (log_recovered records)\n",
              static_cast<unsigned long long>(s.recoveries));
  if (c.malformed_lines() > 0 || c.torn_segments() > 0) {
    std::printf(
        "unreadable:   %llu malformed line(s), %llu torn segment end(s): run `auditlog verify`\n",
        static_cast<unsigned long long>(c.malformed_lines()),
        static_cast<unsigned long long>(c.torn_segments()));
  }
  std::printf("\nby type:\n");
  for (const auto& [type, n] : s.by_type) {
    std::printf("  %-32s %10llu\n", SafeText(type).c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\nby day (UTC):\n");
  for (const auto& [day, n] : s.by_day) {
    std::printf("  %-32s %10llu\n", SafeText(day).c_str(), static_cast<unsigned long long>(n));
  }
  if (s.by_service.size() > 1) {
    std::printf("\nby service:\n");
    for (const auto& [svc, n] : s.by_service) {
      std::printf("  %-32s %10llu\n", SafeText(svc).c_str(), static_cast<unsigned long long>(n));
    }
  }
}

void PrintJson(const std::string& dir, const Summary& s, const QueryCursor& c) {
  nlohmann::json j;
  j["dir"] = dir;
  j["segments"] = c.segments_total();
  j["bytes"] = c.bytes_read();
  j["records"] = s.records;
  j["critical"] = s.critical;
  j["routine"] = s.records - s.critical;
  j["by_type"] = s.by_type;
  j["by_day"] = s.by_day;
  j["by_service"] = s.by_service;
  j["first"] = s.first ? RecordRef(*s.first) : nlohmann::json(nullptr);
  j["last"] = s.last ? RecordRef(*s.last) : nlohmann::json(nullptr);
  j["sanitized_records"] = s.sanitized_records;
  j["sanitized_fields"] = s.sanitized_fields;
  j["recoveries"] = s.recoveries;
  j["malformed_lines"] = c.malformed_lines();
  j["torn_segments"] = c.torn_segments();
  // ensure_ascii: every non-ASCII character is a \u escape, so nothing can reach a terminal raw.
  std::cout << j.dump(2, ' ', true, nlohmann::json::error_handler_t::replace) << "\n";
}

int RunStats(const StatsArgs& args) {
  auto cursor = QueryCursor::Open(args.dir, Query{});
  if (!cursor.ok()) {
    PrintError("stats", cursor.status().ToString());
    return kExitUsage;
  }
  Summary s;
  Record r;
  for (;;) {
    auto more = (*cursor)->Next(&r);
    if (!more.ok()) {
      PrintError("stats", more.status().ToString());
      return kExitUsage;
    }
    if (!*more) break;
    ++s.records;
    if (r.critical) ++s.critical;
    ++s.by_type[r.event_type];
    ++s.by_day[r.timestamp.substr(0, 10)];
    ++s.by_service[r.service_id];
    if (r.sanitized()) {
      ++s.sanitized_records;
      const auto san = nlohmann::json::parse(r.sanitized_json, nullptr, false);
      s.sanitized_fields += san.is_array() ? san.size() : 1;
    }
    if (r.event_type == "log_recovered") ++s.recoveries;
    if (!s.first) s.first = r;
    s.last = r;  // copies reuse the capacity of the previous last record
  }
  if (args.json) {
    PrintJson(args.dir, s, **cursor);
  } else {
    PrintText(args.dir, s, **cursor);
  }
  return kExitOk;
}

}  // namespace

void AddStatsCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "stats",
      "Counts by event type, criticality and day; first/last record; neutralized "
      "fields and crash recoveries");
  cmd->add_option("dir", args->dir, "Log directory")->required();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, exit_code] { *exit_code = RunStats(*args); });
}

}  // namespace auditlog::cli
