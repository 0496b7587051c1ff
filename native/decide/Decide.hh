// The drift decision itself: a pure function of what is known about one exec in a
// container and the container's policy. Any thread; no I/O.
#pragma once

#include <string_view>

#include "decide/Tables.hh"

namespace driftguard {

struct Candidate {
  Where where = Where::WritableLayer;  // WritableLayer, Volume, Host (a container process
                                       // running a host file) or NoPath
  const ContainerPolicy* policy = nullptr;
  std::string_view containerPath;
  const ImageFile* imageFile = nullptr;  // the image's program at the same path
  bool imageHasOtherPath = false;        // the image had a non-program file at that path
  bool imageUnknown = false;             // no baseline: nothing on the writable layer is provable
  uint64_t size = 0;                     // of the executed file, when the event was read
  const Sha256* digest = nullptr;        // content of the executed file, proven (no writer)
  bool digestUnavailable = false;        // the digest was needed and could not be proven in time
  // The image program calling execve (its path in the image), "" when it is none or unknown.
  std::string_view callerProgram;
};

// The reason an exec is drift, or Reason::None when it is an unchanged image file. Path and
// size decide without the digest where they can; an image path with the image file's size
// needs it, and without it the reason is Unverified.
Reason driftReason(const Candidate& c);

// True when the digest could change the verdict: the file may be the image's (same path,
// same size), or the policy allows drift by content. Everything else is decided at once.
bool verdictNeedsDigest(const Candidate& c);

// True when the verdict is drift unless the caller is an allowed parent: worth finding out.
bool verdictNeedsCaller(const Candidate& c);

// Reason plus policy: the deny list, exceptions, then the mode in force. A denied path
// stays denied whatever the exceptions say; drift keeps its own reason.
Decision judge(const Candidate& c);

bool matchesAny(const std::vector<std::string>& globs, std::string_view path);

}  // namespace driftguard
