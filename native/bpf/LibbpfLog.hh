// libbpf's diagnostics go to the sensor's coverage reasons, not to the agent's stdout: the
// last warning libbpf printed is kept and appended to the next reason. Header-only (the
// QEMU guest test links the sensor's sources without the addon). [JS thread: libbpf prints
// from the calls that load and attach, which the JS thread makes]
#pragma once

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace driftguard {

inline std::string lastLibbpfWarning;

// Installed with libbpf_set_print.
inline int captureLibbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  int n = vsnprintf(line, sizeof line, format, args);
  std::string text(line);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty()) lastLibbpfWarning = text;
  return n;
}

// what, with libbpf's last warning (if any) appended; the warning is used up.
inline std::string withLibbpf(std::string what) {
  if (!lastLibbpfWarning.empty()) what += " (libbpf: " + lastLibbpfWarning + ")";
  lastLibbpfWarning.clear();
  return what;
}

}  // namespace driftguard
