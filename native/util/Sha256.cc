#include "util/Sha256.hh"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace driftguard {

std::string hexOf(const Sha256& digest) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < digest.size(); i++) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return out;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parseHex(const std::string& hex, Sha256* out) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; i++) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

namespace {
constexpr size_t kChunk = 256 * 1024;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
}  // namespace

namespace {
// Streams [0, end) of fd into SHA-256. exact: end is the size the caller was promised, and
// reaching EOF first is an error; otherwise end is a limit, and more bytes than that is one.
// copy: when set, receives the bytes hashed (exactly those, so they match the digest).
HashResult hashUpTo(int fd, uint64_t end, bool exact, std::vector<uint8_t>* copy = nullptr) {
  HashResult result;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    result.error = "EVP_DigestInit_ex failed";
    return result;
  }
  // thread_local: hash workers and the fanotify thread each keep one buffer for life.
  thread_local std::vector<unsigned char> buffer(kChunk);
  uint64_t offset = 0;
  for (;;) {
    size_t want = exact ? static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - offset)) : buffer.size();
    if (want == 0) break;
    ssize_t n = pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      result.error = std::string("pread: ") + strerror(errno);
      return result;
    }
    if (n == 0) {
      if (!exact) break;
      result.error = "file shorter than the " + std::to_string(end) + " bytes it had when its exec was read";
      return result;
    }
    offset += static_cast<uint64_t>(n);
    if (!exact && offset > end) {
      result.error = "file larger than the hash limit of " + std::to_string(end) + " bytes";
      return result;
    }
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
    if (copy != nullptr) copy->insert(copy->end(), buffer.data(), buffer.data() + n);
  }
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), result.digest.data(), &len);
  result.bytes = offset;
  result.ok = true;
  return result;
}
}  // namespace

HashResult hashFd(int fd, uint64_t maxBytes) {
  return hashUpTo(fd, maxBytes, false);
}

HashResult hashFdExactly(int fd, uint64_t size) {
  return hashUpTo(fd, size, true);
}

HashResult hashFdExactlyInto(int fd, uint64_t size, std::vector<uint8_t>* bytes) {
  bytes->clear();
  bytes->reserve(size);
  return hashUpTo(fd, size, true, bytes);
}

}  // namespace driftguard
