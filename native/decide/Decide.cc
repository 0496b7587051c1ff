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
  if (c.imageUnknown) return Reason::Unverified;
  const ImageFile* image = c.imageFile;
  if (image == nullptr) return c.imageHasOtherPath ? Reason::MadeExecutable : Reason::NewFile;
  // Another size, or an image file too large to have been hashed: not the image's content.
  if (!image->hashed || image->size != c.size) return Reason::Modified;
  // Drift whatever the content; the digest only tells which of the two reasons it is.
  if (!image->executable)
    return c.digest != nullptr && *c.digest != image->sha ? Reason::Modified : Reason::MadeExecutable;
  if (c.digest == nullptr) return Reason::Unverified;
  // A copy-up (chmod, chown, touch) leaves the content alone: equal hash, no drift.
  return *c.digest == image->sha ? Reason::None : Reason::Modified;
}

bool matchesAny(const std::vector<std::string>& globs, std::string_view path) {
  if (globs.empty() || path.empty()) return false;
  std::string terminated(path);
  for (const std::string& glob : globs) {
    if (fnmatch(glob.c_str(), terminated.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

// Exceptions that need neither the digest nor the caller.
static bool allowedByPath(const Candidate& c, Reason reason) {
  const ContainerPolicy& policy = *c.policy;
  if (matchesAny(policy.allowPathGlobs, c.containerPath)) return true;
  return reason == Reason::Volume && matchesAny(policy.allowVolumeGlobs, c.containerPath);
}

static bool allowedByException(const Candidate& c, Reason reason) {
  const ContainerPolicy& policy = *c.policy;
  if (c.digest != nullptr && policy.allowDigests.count(*c.digest) != 0) return true;
  if (allowedByPath(c, reason)) return true;
  // The program that calls execve, never a parent found by PPID: an orphan is reparented to
  // PID 1, which is often the very program a policy allows.
  return matchesAny(policy.allowParentGlobs, c.callerProgram);
}

// Drift that is neither denied (nothing helps then) nor allowed by what is known so far.
static bool isUnexcusedDrift(const Candidate& c, Reason* reason) {
  if (c.policy->mode == Mode::Disabled) return false;
  *reason = driftReason(c);
  if (*reason == Reason::None) return false;
  if (matchesAny(c.policy->denyPathGlobs, c.containerPath)) return false;  // denied: nothing helps
  return !allowedByException(c, *reason);
}

bool verdictNeedsDigest(const Candidate& c) {
  Reason reason;
  if (c.digest != nullptr || c.digestUnavailable || !isUnexcusedDrift(c, &reason)) return false;
  if (reason == Reason::Unverified && !c.imageUnknown) return true;
  return !c.policy->allowDigests.empty();
}

bool verdictNeedsCaller(const Candidate& c) {
  Reason reason;
  return c.callerProgram.empty() && !c.policy->allowParentGlobs.empty() && isUnexcusedDrift(c, &reason);
}

Decision judge(const Candidate& c) {
  const ContainerPolicy& policy = *c.policy;
  if (policy.mode == Mode::Disabled) return {};
  Verdict drift = policy.mode == Mode::Enforce ? Verdict::Blocked : Verdict::Audited;
  Reason reason = driftReason(c);
  bool denied = matchesAny(policy.denyPathGlobs, c.containerPath);
  // A denied path is refused whatever its content: no need to prove it.
  if (reason == Reason::None || (denied && reason == Reason::Unverified)) {
    return denied ? Decision{drift, Reason::Denied} : Decision{};
  }
  if (!denied && allowedByException(c, reason)) return {};
  // Its content might have been one the policy allows: nobody can tell.
  if (c.digestUnavailable && !denied && !policy.allowDigests.empty()) reason = Reason::Unverified;
  return {drift, reason};
}

}  // namespace driftguard
