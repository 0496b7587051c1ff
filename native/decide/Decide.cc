#include "decide/Decide.hh"

#include <fnmatch.h>

#include <string>

namespace driftguard {

Reason driftReason(const Candidate& c) {
  switch (c.where) {
    case Where::Volume:
    case Where::Host: return Reason::Volume;
    case Where::NoPath: return Reason::Fileless;
    case Where::WritableLayer: break;
    default: return Reason::None;  // image layer files are the image
  }
  const ImageFile* image = c.imageFile;
  if (image == nullptr) return c.imageHasOtherPath ? Reason::MadeExecutable : Reason::NewFile;
  // A copy-up (chmod, chown, touch) leaves the content alone: equal hash, no drift.
  bool sameContent = image->hashed && c.digest != nullptr && *c.digest == image->sha;
  if (!sameContent) return Reason::Modified;
  return image->executable ? Reason::None : Reason::MadeExecutable;
}

bool matchesAny(const std::vector<std::string>& globs, std::string_view path) {
  if (globs.empty() || path.empty()) return false;
  std::string terminated(path);
  for (const std::string& glob : globs) {
    if (fnmatch(glob.c_str(), terminated.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

static bool allowedByException(const Candidate& c, Reason reason) {
  const ContainerPolicy& policy = *c.policy;
  if (c.digest != nullptr && policy.allowDigests.count(*c.digest) != 0) return true;
  if (matchesAny(policy.allowPathGlobs, c.containerPath)) return true;
  if (reason == Reason::Volume && matchesAny(policy.allowVolumeGlobs, c.containerPath)) return true;
  return matchesAny(policy.allowParentGlobs, c.callerExe) || matchesAny(policy.allowParentGlobs, c.parentExe);
}

Decision judge(const Candidate& c) {
  const ContainerPolicy& policy = *c.policy;
  if (policy.mode == Mode::Disabled) return {};
  Verdict drift = policy.mode == Mode::Enforce ? Verdict::Blocked : Verdict::Audited;
  Reason reason = driftReason(c);
  bool denied = matchesAny(policy.denyPathGlobs, c.containerPath);
  if (reason == Reason::None) return denied ? Decision{drift, Reason::Denied} : Decision{};
  if (!denied && allowedByException(c, reason)) return {};
  return {drift, reason};
}

}  // namespace driftguard
