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
  const ImageFile* imageFile = nullptr;  // the image's file at the same path, if hashed
  bool imageHasOtherPath = false;        // the image had a non-program file at that path
  const Sha256* digest = nullptr;        // content of the executed file, if computed
  // The program calling execve and its parent's, when the policy allows by parent.
  std::string_view callerExe, parentExe;
};

// The reason an exec is drift, or Reason::None when it is an unchanged image file.
Reason driftReason(const Candidate& c);

// Reason plus policy: the deny list, exceptions, then the mode in force. A denied path
// stays denied whatever the exceptions say; drift keeps its own reason.
Decision judge(const Candidate& c);

bool matchesAny(const std::vector<std::string>& globs, std::string_view path);

}  // namespace driftguard
