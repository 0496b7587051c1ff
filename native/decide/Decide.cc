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

static bool allowedByException(const Candidate& c) {
  const ContainerPolicy& policy = *c.policy;
  if (c.digest != nullptr && policy.allowDigests.count(*c.digest) != 0) return true;
  if (!policy.allowPathGlobs.empty()) {
    std::string path(c.containerPath);
    for (const std::string& glob : policy.allowPathGlobs) {
      if (fnmatch(glob.c_str(), path.c_str(), FNM_PATHNAME) == 0) return true;
    }
  }
  return false;
}

Decision judge(const Candidate& c) {
  if (c.policy->mode == Mode::Disabled) return {};
  Reason reason = driftReason(c);
  if (reason == Reason::None || allowedByException(c)) return {};
  return {c.policy->mode == Mode::Enforce ? Verdict::Blocked : Verdict::Audited, reason};
}

}  // namespace driftguard
