// CpuRelax(): the hint a spin-wait loop gives the CPU on each turn. Platform-specific, so it
// lives in util/port/.
#pragma once

namespace auditlog::internal {

// Tells the CPU that this thread is spinning: on x86 `pause` (saves power and avoids the
// memory-order mis-speculation penalty when the loop exits), on AArch64 `yield`; elsewhere
// nothing.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace auditlog::internal
