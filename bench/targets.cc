// The verdicts of auditlog-bench: each performance target of the README, measured against
// its baseline (the raw fsync rate, the seed design, spdlog) where it has one; see report.h.
#include <string>
#include <utility>
#include <vector>

#include "report.h"

namespace bench {

const Row* Find(const std::vector<Row>& rows, Kind kind, Mode mode, int producers, bool durable) {
  for (const auto& row : rows) {
    if (row.spec.kind == kind && row.spec.mode == mode && row.spec.producers == producers &&
        row.spec.durable == durable && row.r.ok) {
      return &row;
    }
  }
  return nullptr;
}

namespace {

// The verdicts so far. A target whose cases did not run (or failed) is SKIP.
class Verdicts {
 public:
  void Add(bool have, bool pass, std::string text) {
    t_.push_back({!have ? "SKIP" : pass ? "PASS" : "MISS", std::move(text)});
  }
  std::vector<Target> Take() { return std::move(t_); }

 private:
  std::vector<Target> t_;
};

// EmitDurable in Immediate mode: its rate, against the seed design and the raw fsync rate.
void AddDurableTargets(const std::vector<Row>& rows, Verdicts* v) {
  const Row* imm32 = Find(rows, Kind::kAuditlog, Mode::kImmediate, 32, true);
  const Row* seed32 = Find(rows, Kind::kSeed, Mode::kImmediate, 32, true);
  const Row* imm1 = Find(rows, Kind::kAuditlog, Mode::kImmediate, 1, true);
  const Row* raw = Find(rows, Kind::kRawFsync, Mode::kNone, 1, true);
  {
    const double rate = imm32 ? imm32->r.events_per_sec : 0;
    v->Add(imm32, rate >= 100'000,
           "Immediate, 32 producers EmitDurable: " + Group(rate) +
               " durable events/s (target >= 100,000)");
  }
  {
    const double ratio = imm32 && seed32 && seed32->r.events_per_sec > 0
                             ? imm32->r.events_per_sec / seed32->r.events_per_sec
                             : 0;
    v->Add(
        imm32 && seed32, ratio >= 20,
        "Immediate, 32 producers EmitDurable vs seed design (fsync per event): " + Num(ratio, 1) +
            "x (target >= 20x; seed " + Group(seed32 ? seed32->r.events_per_sec : 0) + "/s)");
  }
  {
    const double ratio = imm1 && raw && raw->r.events_per_sec > 0
                             ? imm1->r.events_per_sec / raw->r.events_per_sec
                             : 0;
    v->Add(imm1 && raw, ratio >= 0.9,
           "Immediate, 1 producer EmitDurable: " + Num(100 * ratio, 0) +
               "% of the raw fsync rate (" + Group(imm1 ? imm1->r.events_per_sec : 0) + " vs " +
               Group(raw ? raw->r.events_per_sec : 0) + "/s; target >= 90%)");
  }
}

// One producer's Emit in Hybrid and Batched mode: its rate, and against spdlog's async logger.
void AddEmitRateTargets(const std::vector<Row>& rows, Verdicts* v) {
  const Row* spd1 = Find(rows, Kind::kSpdlog, Mode::kNone, 1, false);
  for (Mode m : {Mode::kHybrid, Mode::kBatched}) {
    const Row* row = Find(rows, Kind::kAuditlog, m, 1, false);
    const double rate = row ? row->r.events_per_sec : 0;
    v->Add(row, rate >= 1'000'000,
           std::string(ModeName(m)) + ", 1 producer Emit: " + Group(rate) +
               " events/s until durable, hashed and chained (target >= 1,000,000)");
    const double ratio =
        row && spd1 && spd1->r.events_per_sec > 0 ? rate / spd1->r.events_per_sec : 0;
    v->Add(row && spd1, ratio >= 1.0,
           std::string(ModeName(m)) +
               ", 1 producer Emit vs spdlog async (1 producer, no fsync): " + Num(ratio, 2) +
               "x (target >= 1.00x; spdlog " + Group(spd1 ? spd1->r.events_per_sec : 0) + "/s)");
  }
}

// p99 of Emit while the queue is not full: single-producer Emit cases whose queue never
// reached capacity (with more producers than cores, p99 measures preemption).
void AddEmitLatencyTarget(const std::vector<Row>& rows, Verdicts* v) {
  double worst = -1;
  std::string where;
  for (const auto& row : rows) {
    if (!row.r.ok || row.spec.durable || row.spec.producers != 1) continue;
    if (row.spec.kind != Kind::kAuditlog && row.spec.kind != Kind::kLatency) continue;
    if (row.r.queue_high_water >= row.r.queue_capacity) continue;
    if (row.r.p99_us > worst) {
      worst = row.r.p99_us;
      where = row.spec.name;
    }
  }
  v->Add(worst >= 0, worst >= 0 && worst <= 2.0,
         "Emit p99 while the queue is not full: " + Num(worst < 0 ? 0 : worst, 2) +
             " us (worst 1-producer case: " + (where.empty() ? "-" : where) + "; target <= 2 us)");
}

// Heap allocations per Emit call, worst over the Emit cases of the Logger.
void AddAllocationTarget(const std::vector<Row>& rows, Verdicts* v) {
  double worst = -1;
  std::string where;
  for (const auto& row : rows) {
    if (!row.r.ok || row.spec.durable) continue;
    if (row.spec.kind != Kind::kAuditlog && row.spec.kind != Kind::kLatency &&
        row.spec.kind != Kind::kMemory) {
      continue;
    }
    if (row.r.allocs_per_call > worst) {
      worst = row.r.allocs_per_call;
      where = row.spec.name;
    }
  }
  v->Add(
      worst >= 0, worst >= 0 && worst <= 1.0,
      "Heap allocations per Emit beyond constructing the event: " + Num(worst < 0 ? 0 : worst, 2) +
          " (worst: " + (where.empty() ? "-" : where) + "; target <= 1)");
}

}  // namespace

std::vector<Target> EvaluateTargets(const std::vector<Row>& rows) {
  Verdicts v;
  AddDurableTargets(rows, &v);
  AddEmitRateTargets(rows, &v);
  AddEmitLatencyTarget(rows, &v);
  AddAllocationTarget(rows, &v);
  return v.Take();
}

}  // namespace bench
