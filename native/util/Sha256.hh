// SHA-256 digests: the value type, its hex form, and the digest of an open file, streamed
// with OpenSSL (Node exports its bundled OpenSSL, which uses SHA-NI where the CPU has it).
// Any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace driftguard {

using Sha256 = std::array<uint8_t, 32>;

std::string hexOf(const Sha256& digest);
// False (and *out unchanged in part) unless hex is 64 hex digits.
bool parseHex(const std::string& hex, Sha256* out);

struct HashResult {
  bool ok = false;
  Sha256 digest{};
  uint64_t bytes = 0;
  std::string error;  // "syscall: strerror" or a limit, when !ok
};

// Hashes the file behind fd with pread from offset 0 (the fd's position is not used, so
// a fanotify event fd can be hashed while the exec waits). Stops with an error past
// maxBytes: a hostile container must not make the agent hash a 100 GiB sparse file.
HashResult hashFd(int fd, uint64_t maxBytes);

// Hashes exactly the first `size` bytes of fd (the size its fstat promised): never reads
// past them, however much the file grew, and fails if it holds fewer.
HashResult hashFdExactly(int fd, uint64_t size);
// The same, keeping the bytes it hashed in *bytes (a sample: its digest is theirs).
HashResult hashFdExactlyInto(int fd, uint64_t size, std::vector<uint8_t>* bytes);

}  // namespace driftguard
