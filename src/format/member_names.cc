// Duplicate member names; see member_names.h.
#include "format/member_names.h"

#include <algorithm>

namespace auditlog::internal {
namespace {

// Up to this many names, the pairwise scan (at most 120 comparisons, no allocation) is
// cheaper than sorting.
constexpr std::size_t kPairwiseMax = 16;

thread_local std::uint64_t name_comparisons = 0;

}  // namespace

std::size_t FirstRepeatedName(const std::vector<std::string_view>& names,
                              std::vector<std::uint32_t>* scratch) {
  const std::size_t n = names.size();
  std::uint64_t comparisons = 0;
  std::size_t first = n;
  if (n <= kPairwiseMax) {
    for (std::size_t i = 1; i < n && first == n; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        ++comparisons;
        if (names[j] == names[i]) {
          first = i;
          break;
        }
      }
    }
  } else {
    // Sorted by (name, position), equal names are adjacent and in position order, so every
    // element that follows an equal one repeats an earlier name; the first repeat is the
    // smallest such position.
    scratch->resize(n);
    for (std::size_t i = 0; i < n; ++i) (*scratch)[i] = static_cast<std::uint32_t>(i);
    std::sort(scratch->begin(), scratch->end(), [&](std::uint32_t a, std::uint32_t b) {
      ++comparisons;
      const int c = names[a].compare(names[b]);
      return c != 0 ? c < 0 : a < b;
    });
    for (std::size_t k = 1; k < n; ++k) {
      ++comparisons;
      if (names[(*scratch)[k]] == names[(*scratch)[k - 1]]) {
        first = std::min<std::size_t>(first, (*scratch)[k]);
      }
    }
  }
  name_comparisons += comparisons;
  return first;
}

std::uint64_t NameComparisonsOnThisThread() { return name_comparisons; }

}  // namespace auditlog::internal
