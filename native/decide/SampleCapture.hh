// A drift exec's file captured for review (policy capture.maxBytes): what became of the
// capture, and the bytes themselves, which count against a budget of bytes in flight to
// JS until the record holding them is gone. Plain data; any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace driftguard {

// The largest capture.maxBytes a policy may set (the policy validation's limit too).
constexpr uint64_t kCaptureMaxBytesLimit = 64ull << 20;

// Off: the policy captures nothing (or the file is an image file); TooLarge: over the
// policy's maxBytes; Changed: the bytes read after the answer do not hash to the finding's
// digest (the file changed); Unreadable: the read failed or the file shrank; Busy: the
// queue after the answer or the budget of bytes in flight was full.
enum class Capture : uint8_t { Off, Captured, TooLarge, Changed, Unreadable, Busy, kCount };
inline constexpr const char* kCaptureNames[] = {"off", "captured", "too_large", "changed", "unreadable", "busy"};
static_assert(sizeof(kCaptureNames) / sizeof(kCaptureNames[0]) == static_cast<size_t>(Capture::kCount));
inline const char* captureName(Capture c) {
  return kCaptureNames[static_cast<size_t>(c)];
}

// Bytes of samples read and not yet handed to JS, at most `limit`.
struct SampleBudget {
  explicit SampleBudget(uint64_t limit) : limit(limit) {}
  const uint64_t limit;
  std::atomic<uint64_t> used{0};
  // [finding hasher] False when size more bytes would exceed the limit.
  bool take(uint64_t size) {
    uint64_t now = used.load();
    do {
      if (size > limit - std::min(now, limit)) return false;
    } while (!used.compare_exchange_weak(now, now + size));
    return true;
  }
};

// The bytes; their budget is given back when the last record holding them is destroyed.
struct SampleBytes {
  SampleBytes(std::shared_ptr<SampleBudget> budget, uint64_t reserved)
      : budget(std::move(budget)), reserved(reserved) {}
  ~SampleBytes() { budget->used -= reserved; }
  SampleBytes(const SampleBytes&) = delete;
  SampleBytes& operator=(const SampleBytes&) = delete;
  std::shared_ptr<SampleBudget> budget;
  const uint64_t reserved;
  std::vector<uint8_t> bytes;
};

}  // namespace driftguard
