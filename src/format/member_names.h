// The duplicate-member-name check shared by the event encoder and the record parser: one
// hostile object may have hundreds of thousands of members, so it must not be quadratic.
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace auditlog::internal {

// The position of the first name in `names` that equals an earlier one, or names.size()
// when all differ. O(n log n) comparisons: small sets are compared pairwise, larger ones
// sorted (by index, in `scratch`, which is overwritten; its capacity is kept for reuse).
std::size_t FirstRepeatedName(const std::vector<std::string_view>& names,
                              std::vector<std::uint32_t>* scratch);

// Name comparisons FirstRepeatedName has made on the calling thread so far: a work counter,
// so that tests bound the cost of the duplicate checks without timing them.
std::uint64_t NameComparisonsOnThisThread();

}  // namespace auditlog::internal
