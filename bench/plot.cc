// auditlog-bench's plot: two panels (EmitDurable, Emit), events/s vs producers, one line
// per system and mode, rendered by gnuplot with bench/plot.gnuplot; see report.h.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "report.h"

namespace bench {
namespace fs = std::filesystem;

namespace {

bool HaveGnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

}  // namespace

void WritePlot(const std::vector<Row>& rows, const std::string& png) {
  const fs::path png_path(png);
  fs::path dat = png_path;
  dat.replace_extension(".dat");
  std::ofstream f(dat);
  if (!f) {
    std::fprintf(stderr, "warning: cannot write %s; no plot\n", dat.c_str());
    return;
  }
  struct Series {
    std::string title;
    Kind kind;
    Mode mode;
  };
  const int kProducers[] = {1, 4, 32};
  int values[2] = {0, 0};  // per panel: auditlog/seed/spdlog points present
  const Row* raw = Find(rows, Kind::kRawFsync, Mode::kNone, 1, true);
  const Row* raw_busy = Find(rows, Kind::kRawFsyncBusy, Mode::kNone, 1, true);
  for (bool durable : {true, false}) {
    std::vector<Series> series;
    for (Mode m : {Mode::kImmediate, Mode::kBatched, Mode::kHybrid}) {
      series.push_back({std::string("auditlog ") + ModeName(m), Kind::kAuditlog, m});
    }
    for (Mode m : {Mode::kImmediate, Mode::kBatched, Mode::kHybrid}) {
      if (durable && m != Mode::kImmediate) continue;
      series.push_back({std::string("seed design ") + ModeName(m), Kind::kSeed, m});
    }
    if (!durable) series.push_back({"spdlog async (no fsync)", Kind::kSpdlog, Mode::kNone});
    f << "producers";
    for (const auto& s : series) f << " \"" << s.title << "\"";
    if (durable) f << " \"raw fsync rate (1 thread)\" \"raw fsync rate, CPUs kept busy\"";
    f << "\n";
    for (int p : kProducers) {
      f << p;
      for (const auto& s : series) {
        const Row* row = Find(rows, s.kind, s.mode, p, s.kind == Kind::kSpdlog ? false : durable);
        if (row && row->r.events_per_sec > 0) {
          f << " " << row->r.events_per_sec;
          ++values[durable ? 0 : 1];
        } else {
          f << " ?";
        }
      }
      if (durable) {
        for (const Row* ref : {raw, raw_busy}) {
          if (ref)
            f << " " << ref->r.events_per_sec;
          else
            f << " ?";
        }
      }
      f << "\n";
    }
    f << "\n\n";
  }
  f.close();
  if (values[0] == 0 || values[1] == 0) {
    std::fprintf(stderr, "warning: too few cases ran for a plot (wrote %s)\n", dat.c_str());
    return;
  }
  if (!HaveGnuplot()) {
    std::fprintf(stderr,
                 "warning: gnuplot not found (apt-get install gnuplot-nox); wrote %s, no plot\n",
                 dat.c_str());
    return;
  }
  const std::string script = AUDITLOG_BENCH_SOURCE_DIR "/plot.gnuplot";
  const std::string cmd =
      "gnuplot -e \"datafile='" + dat.string() + "'; outfile='" + png + "'\" '" + script + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "warning: gnuplot failed: %s\n", cmd.c_str());
  } else {
    std::fprintf(stderr, "plot: %s (data: %s)\n", png.c_str(), dat.c_str());
  }
}

}  // namespace bench
