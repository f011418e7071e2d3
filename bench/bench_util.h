// Small helpers for auditlog-bench: a fixed-size latency histogram, clocks, RSS.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>

namespace bench {

using Clock = std::chrono::steady_clock;

inline std::uint64_t Nanos(Clock::duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}
inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A log-linear histogram of nanosecond values: exact below 64 ns, then 64 sub-buckets per
// power of two (relative error < 1/64). Fixed size (no allocation while recording).
class Histogram {
 public:
  static constexpr int kSub = 64;
  static constexpr int kBuckets = 60 * kSub;

  void Add(std::uint64_t v) {
    ++counts_[Index(v)];
    ++total_;
    if (v > max_) max_ = v;
  }
  void Merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    if (o.max_ > max_) max_ = o.max_;
  }
  std::uint64_t total() const { return total_; }
  std::uint64_t max() const { return max_; }

  // The value at quantile q (0..1): the upper end of the bucket holding it.
  std::uint64_t Percentile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    if (rank >= total_) rank = total_ - 1;
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen > rank) {
        const std::uint64_t upper = UpperBound(i);
        return upper < max_ ? upper : max_;
      }
    }
    return max_;
  }

 private:
  static int Index(std::uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    const int e = 63 - std::countl_zero(v);  // >= 6
    const int sub = static_cast<int>((v >> (e - 6)) & (kSub - 1));
    const int idx = (e - 5) * kSub + sub;
    return idx < kBuckets ? idx : kBuckets - 1;
  }
  static std::uint64_t UpperBound(int idx) {
    if (idx < kSub) return static_cast<std::uint64_t>(idx);
    const int e = idx / kSub + 5;
    const std::uint64_t sub = static_cast<std::uint64_t>(idx % kSub);
    return ((kSub + sub + 1) << (e - 6)) - 1;
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace bench
