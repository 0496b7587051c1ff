#include "util/BoundedProcRead.hh"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace driftguard {

namespace {
std::atomic<uint64_t> abandoned{0};

std::string readWhole(const std::string& path, size_t maxBytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  while (out.size() < maxBytes) {
    ssize_t n = read(fd, buf, std::min(sizeof buf, maxBytes - out.size()));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// What a caller and its helper share; the helper keeps it alive if the caller goes first.
struct Exchange {
  std::mutex mutex;
  std::condition_variable wake;
  bool busy = false, stop = false;
  uint64_t asked = 0, done = 0;  // request numbers
  std::string path;
  size_t maxBytes = 0;
  std::string result;
};

// [helper thread] One read at a time, as long as its caller lives.
void serve(std::shared_ptr<Exchange> x) {
  std::unique_lock<std::mutex> lock(x->mutex);
  for (;;) {
    x->wake.wait(lock, [&] { return x->stop || x->asked != x->done; });
    if (x->stop) return;
    uint64_t request = x->asked;
    std::string path = x->path;
    size_t maxBytes = x->maxBytes;
    lock.unlock();
    std::string text = readWhole(path, maxBytes);  // may wait for the target's lock
    lock.lock();
    x->result = std::move(text);
    x->done = request;
    x->busy = false;
    x->wake.notify_all();
  }
}

// One per calling thread: its helper, and what it has waited in the current second.
class Reader {
 public:
  Reader() : exchange_(std::make_shared<Exchange>()) { std::thread(serve, exchange_).detach(); }
  ~Reader() {
    std::lock_guard<std::mutex> lock(exchange_->mutex);
    exchange_->stop = true;  // a helper stuck in a read ends when the read does
    exchange_->wake.notify_all();
  }

  std::optional<std::string> read(const std::string& path, size_t maxBytes, std::chrono::milliseconds wait) {
    auto now = std::chrono::steady_clock::now();
    if (now - windowStart_ >= std::chrono::seconds(1)) {
      windowStart_ = now;
      waited_ = std::chrono::steady_clock::duration::zero();
    }
    auto allowed = std::min<std::chrono::steady_clock::duration>(wait, kProcReadBudgetPerSecond - waited_);
    std::unique_lock<std::mutex> lock(exchange_->mutex);
    if (exchange_->busy || allowed <= std::chrono::steady_clock::duration::zero()) {
      abandoned++;
      return std::nullopt;
    }
    Exchange& x = *exchange_;
    x.busy = true;
    x.path = path;
    x.maxBytes = maxBytes;
    uint64_t request = ++x.asked;
    x.wake.notify_all();
    bool finished = x.wake.wait_for(lock, allowed, [&] { return x.done == request; });
    waited_ += std::chrono::steady_clock::now() - now;
    if (!finished) {
      abandoned++;  // the helper stays busy until the read returns
      return std::nullopt;
    }
    return std::move(x.result);
  }

 private:
  std::shared_ptr<Exchange> exchange_;
  std::chrono::steady_clock::time_point windowStart_{};
  std::chrono::steady_clock::duration waited_{};
};
}  // namespace

std::optional<std::string> readProcFileBounded(const std::string& path, size_t maxBytes,
                                               std::chrono::milliseconds wait) {
  thread_local Reader reader;
  return reader.read(path, maxBytes, wait);
}

uint64_t procReadsAbandoned() {
  return abandoned.load(std::memory_order_relaxed);
}

}  // namespace driftguard
