#include "bpf/RingReader.hh"

#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "bpf/progs/sensor_abi.h"

namespace driftguard {

namespace {
std::runtime_error sysError(const char* call) {
  return std::runtime_error(std::string(call) + ": " + strerror(errno));
}
}  // namespace

RingReader::RingReader(int ringMapFd, uint32_t flushIntervalMs, Convert convert, SensorSink& sink)
    : flushIntervalMs_(flushIntervalMs), convert_(std::move(convert)), sink_(sink) {
  ring_ = ring_buffer__new(ringMapFd, &RingReader::onEvent, this, nullptr);
  if (ring_ == nullptr) throw sysError("ring_buffer__new");
  stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (stopFd_ < 0 || epollFd_ < 0) {
    std::runtime_error error = sysError(stopFd_ < 0 ? "eventfd" : "epoll_create1");
    release();
    throw error;
  }
  // The ring buffer's own epoll fd is readable when the kernel woke it.
  struct epoll_event ringEvent = {EPOLLIN, {.u32 = 0}}, stopEvent = {EPOLLIN, {.u32 = 1}};
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(ring_), &ringEvent) < 0 ||
      epoll_ctl(epollFd_, EPOLL_CTL_ADD, stopFd_, &stopEvent) < 0) {
    std::runtime_error error = sysError("epoll_ctl");
    release();
    throw error;
  }
}

RingReader::~RingReader() {
  stop();
  release();
}

void RingReader::release() {
  if (ring_ != nullptr) ring_buffer__free(ring_);
  ring_ = nullptr;
  if (epollFd_ >= 0) close(epollFd_);
  if (stopFd_ >= 0) close(stopFd_);
  epollFd_ = stopFd_ = -1;
}

void RingReader::start() {
  if (started_) return;
  started_ = true;
  thread_ = std::thread(&RingReader::run, this);
}

void RingReader::stop() {
  if (stopped_) return;
  stopped_ = true;
  uint64_t one = 1;
  if (stopFd_ >= 0) {
    ssize_t ignored = write(stopFd_, &one, sizeof one);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
}

// [reader thread]
void RingReader::run() {
  struct epoll_event ready[2];
  for (;;) {
    int n = epoll_wait(epollFd_, ready, 2, static_cast<int>(flushIntervalMs_));
    bool stopping = false;
    for (int i = 0; i < n; i++) {
      if (ready[i].data.u32 == 1) stopping = true;
      if (ready[i].data.u32 == 0) wakeups_++;
    }
    consumeAndPush();  // a timer tick, a wake-up or the last drain before stopping
    if (stopping) return;
  }
}

void RingReader::consumeAndPush() {
  polls_++;
  // ring_buffer__consume calls onEvent for every queued record, then advances the
  // consumer position once.
  ring_buffer__consume(ring_);
  if (batch_.empty()) return;
  std::vector<SensorFinding> batch;
  batch.swap(batch_);
  sink_.push(std::move(batch));
}

int RingReader::onEvent(void* self, void* data, size_t size) {
  auto* reader = static_cast<RingReader*>(self);
  if (size < sizeof(struct dg_event)) return 0;  // from another build of the programs: skip
  reader->events_++;
  reader->batch_.push_back(reader->convert_(*static_cast<const struct dg_event*>(data)));
  return 0;
}

}  // namespace driftguard
