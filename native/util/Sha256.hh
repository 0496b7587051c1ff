// SHA-256 of an open file, streamed with OpenSSL (Node exports its bundled OpenSSL, which
// uses SHA-NI where the CPU has it). Any thread.
#pragma once

#include <cstdint>
#include <string>

#include "decide/Types.hh"

namespace driftguard {

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

}  // namespace driftguard
