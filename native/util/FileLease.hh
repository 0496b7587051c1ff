// Read leases as proof that a file has no writer. The kernel grants fcntl(F_SETLEASE,
// F_RDLCK) only while nobody has the inode open for write: a descriptor, or a MAP_SHARED
// writable mapping whose descriptor was closed (it keeps the file open). A writer that
// comes while the lease is held blocks in open(2) (break_lease) holding its write access,
// so an exec of the file meanwhile fails with ETXTBSY. Any thread.
#pragma once

namespace driftguard {

enum class LeaseResult {
  Held,     // no writer now, and none can start until released
  Writer,   // EAGAIN: the inode is open for write
  Refused,  // any other error: not our file without CAP_LEASE (EACCES), leases disabled or
            // unsupported by the filesystem (EINVAL)
};

// Takes a read lease through fd (open O_RDONLY). *error is the errno when not Held.
LeaseResult takeReadLease(int fd, int* error);
// Gives it up (closing the last descriptor of that open file does too).
void releaseLease(int fd);

// A lease break sends SIGIO to the holder, and SIGIO's default action terminates the
// process: installs a handler that does nothing, unless someone installed one already.
// Leases are given up on our own schedule (ExecCommitWatch), never on the signal.
void makeLeaseBreakSignalHarmless();

}  // namespace driftguard
