// Credentials: whom a process acts as and what it may do (Linux's struct
// cred), and the transitions that change them.
//
// Ids: real, effective, saved and file-system uid and gid, plus the
// supplementary groups. Capabilities: the five sets of capabilities(7)
// (permitted, effective, inheritable, bounding, ambient) as 64-bit masks, bit
// n for capability n, and the securebits. Every privilege check in the kernel
// asks Capable(Cap::k...): no check compares an id with 0. Root's power is
// the capabilities that the transitions below give it and take away, as
// Linux's kernel/sys.c and security/commoncap.c do (in the initial user
// namespace, with no file capabilities: Keel reads no security.capability
// attribute, so a program gains capabilities only by being set-user-ID root
// or run by root).
//
// Pure logic, host-tested (credentials_test.cc): each transition takes the
// current credentials and returns the new ones or Linux's errno, never a
// half-applied change.
#ifndef KERNEL_PROCESS_CREDENTIALS_H_
#define KERNEL_PROCESS_CREDENTIALS_H_

#include <cstdint>
#include <span>

#include "ostd/result.h"
#include "ostd/util/ref_ptr.h"
#include "ostd/util/vec.h"

namespace kernel {

// Capability numbers (include/uapi/linux/capability.h).
enum class Cap : int {
  kChown = 0,
  kDacOverride = 1,
  kDacReadSearch = 2,
  kFowner = 3,
  kFsetid = 4,
  kKill = 5,
  kSetgid = 6,
  kSetuid = 7,
  kSetpcap = 8,
  kLinuxImmutable = 9,
  kNetBindService = 10,
  kNetBroadcast = 11,
  kNetAdmin = 12,
  kNetRaw = 13,
  kIpcLock = 14,
  kIpcOwner = 15,
  kSysModule = 16,
  kSysRawio = 17,
  kSysChroot = 18,
  kSysPtrace = 19,
  kSysPacct = 20,
  kSysAdmin = 21,
  kSysBoot = 22,
  kSysNice = 23,
  kSysResource = 24,
  kSysTime = 25,
  kSysTtyConfig = 26,
  kMknod = 27,
  kLease = 28,
  kAuditWrite = 29,
  kAuditControl = 30,
  kSetfcap = 31,
  kMacOverride = 32,
  kMacAdmin = 33,
  kSyslog = 34,
  kWakeAlarm = 35,
  kBlockSuspend = 36,
  kAuditRead = 37,
  kPerfmon = 38,
  kBpf = 39,
  kCheckpointRestore = 40,
};
// The highest capability Linux 6.1 knows (CAP_LAST_CAP).
inline constexpr int kCapLast = 40;
// Every capability: what root starts with and the initial bounding set.
inline constexpr uint64_t kCapFullSet = (uint64_t{1} << (kCapLast + 1)) - 1;
// The mask of one capability.
constexpr uint64_t CapBit(Cap c) { return uint64_t{1} << static_cast<int>(c); }
// True for 0..kCapLast (Linux's cap_valid), for numbers from user space.
constexpr bool CapValid(uint64_t n) { return n <= static_cast<uint64_t>(kCapLast); }
// The file-system capabilities that follow the fsuid (Linux's CAP_FS_SET):
// dropped from the effective set when the fsuid leaves 0, restored (from the
// permitted set) when it returns.
inline constexpr uint64_t kCapFsSet = CapBit(Cap::kChown) | CapBit(Cap::kDacOverride) |
                                      CapBit(Cap::kDacReadSearch) | CapBit(Cap::kFowner) |
                                      CapBit(Cap::kFsetid) | CapBit(Cap::kLinuxImmutable) |
                                      CapBit(Cap::kMknod) | CapBit(Cap::kMacOverride);

// The securebits (include/uapi/linux/securebits.h): each policy bit has a
// lock bit above it that freezes it.
inline constexpr uint32_t kSecureNoroot = 1 << 0;
inline constexpr uint32_t kSecureNoSetuidFixup = 1 << 2;
inline constexpr uint32_t kSecureKeepCaps = 1 << 4;
inline constexpr uint32_t kSecureNoCapAmbientRaise = 1 << 6;
inline constexpr uint32_t kSecureAllBits =
    kSecureNoroot | kSecureNoSetuidFixup | kSecureKeepCaps | kSecureNoCapAmbientRaise;
inline constexpr uint32_t kSecureAllLocks = kSecureAllBits << 1;

// (uid_t)-1 and (gid_t)-1: "leave unchanged" where a call allows it, never a
// valid id.
inline constexpr uint32_t kNoId = UINT32_MAX;

// A supplementary group list, sorted ascending (getgroups returns it in this
// order, as Linux's groups_sort leaves it). Immutable once made: setgroups
// makes a new one, so a reader holding a reference never sees it change.
class GroupList : public ostd::RefCounted<GroupList> {
 public:
  // Empty; Create fills one.
  GroupList() = default;
  // NGROUPS_MAX.
  static constexpr size_t kMax = 65536;
  // A sorted copy of `gids` (duplicates kept, as Linux keeps them). ENOMEM.
  static ostd::Result<ostd::RefPtr<GroupList>> Create(std::span<const uint32_t> gids);
  std::span<const uint32_t> gids() const { return gids_.span(); }
  size_t size() const { return gids_.size(); }
  // Whether `gid` is in the list (binary search).
  bool Contains(uint32_t gid) const;

 private:
  ostd::Vec<uint32_t> gids_;
};

struct Credentials {
  uint32_t uid = 0, euid = 0, suid = 0, fsuid = 0;
  uint32_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
  uint64_t cap_inheritable = 0;
  uint64_t cap_permitted = kCapFullSet;
  uint64_t cap_effective = kCapFullSet;
  uint64_t cap_bounding = kCapFullSet;
  uint64_t cap_ambient = 0;
  uint32_t securebits = 0;

  // Whether `c` is in the effective set: the one question every privilege
  // check asks.
  bool Capable(Cap c) const { return (cap_effective & CapBit(c)) != 0; }
  // Linux's perfmon_capable(): CAP_PERFMON, or CAP_SYS_ADMIN before it
  // existed (tracefs writes, perf events on the kernel).
  bool PerfmonCapable() const { return Capable(Cap::kPerfmon) || Capable(Cap::kSysAdmin); }
  bool Secure(uint32_t bit) const { return (securebits & bit) != 0; }
};

namespace creds {

// setuid(2): with CAP_SETUID all four uids become `uid`; without it the
// effective (and fs) uid may become the real or saved one. EINVAL for -1,
// EPERM otherwise. Capabilities follow the ids (FixSetuid).
ostd::Result<Credentials> SetUid(const Credentials& c, uint32_t uid);
// setgid(2): as SetUid with CAP_SETGID; capabilities do not change.
ostd::Result<Credentials> SetGid(const Credentials& c, uint32_t gid);
// setreuid(2): the real uid may become the real or effective one, the
// effective uid the real, effective or saved one (anything with CAP_SETUID);
// -1 keeps a value. The saved uid becomes the new effective one when the real
// uid is given or the effective one moves off the old real uid.
ostd::Result<Credentials> SetReUid(const Credentials& c, uint32_t ruid, uint32_t euid);
ostd::Result<Credentials> SetReGid(const Credentials& c, uint32_t rgid, uint32_t egid);
// setresuid(2): each given id must be one of the current real, effective or
// saved ids (anything with CAP_SETUID); -1 keeps a value.
ostd::Result<Credentials> SetResUid(const Credentials& c, uint32_t ruid, uint32_t euid,
                                    uint32_t suid);
ostd::Result<Credentials> SetResGid(const Credentials& c, uint32_t rgid, uint32_t egid,
                                    uint32_t sgid);
// setfsuid(2)/setfsgid(2): the new fs id if allowed (the real, effective,
// saved or current fs id, or anything with CAP_SETUID/CAP_SETGID), else `c`
// unchanged; the call returns the old fs id either way.
Credentials SetFsUid(const Credentials& c, uint32_t uid);
Credentials SetFsGid(const Credentials& c, uint32_t gid);

// capset(2) on the caller (Linux's cap_capset): the new inheritable set must
// lie within the old inheritable and bounding sets and, without CAP_SETPCAP,
// within the old inheritable and permitted sets; permitted may only shrink;
// effective must lie within the new permitted set (each EPERM). Bits above
// kCapLast are ignored. Ambient capabilities no longer both permitted and
// inheritable are dropped.
ostd::Result<Credentials> CapSet(const Credentials& c, uint64_t effective, uint64_t permitted,
                                 uint64_t inheritable);

// prctl(PR_SET_KEEPCAPS, on): EINVAL for on > 1, EPERM if the bit is locked.
ostd::Result<Credentials> SetKeepCaps(const Credentials& c, uint64_t on);
// prctl(PR_SET_SECUREBITS, bits): needs CAP_SETPCAP; no locked bit may
// change, no lock may be released, no unknown bit set (each EPERM).
ostd::Result<Credentials> SetSecurebits(const Credentials& c, uint64_t bits);
// prctl(PR_CAPBSET_DROP, cap): EPERM without CAP_SETPCAP, EINVAL for an
// unknown capability.
ostd::Result<Credentials> DropBounding(const Credentials& c, uint64_t cap);
// prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE or _LOWER, cap): raising needs
// the capability permitted and inheritable and SECBIT_NO_CAP_AMBIENT_RAISE
// clear (EPERM). `cap` must be valid (the caller checks, EINVAL).
ostd::Result<Credentials> RaiseAmbient(const Credentials& c, uint64_t cap);
Credentials LowerAmbient(const Credentials& c, uint64_t cap);

// The credentials access(2) and faccessat(2) without AT_EACCESS check with:
// the real ids as fs ids and, for a real uid of 0, the permitted set as the
// effective one (none otherwise), unless SECBIT_NO_SETUID_FIXUP.
Credentials ForAccessCheck(const Credentials& c);

// What execve does to the credentials (Linux's bprm_fill_uid and
// cap_bprm_creds_from_file, with no file capabilities).
struct ExecImage {
  uint32_t uid = 0;   // the program file's owner
  uint32_t gid = 0;   // and group
  uint32_t mode = 0;  // and mode (S_ISUID, S_ISGID, S_IXGRP matter)
};
struct ExecOutcome {
  Credentials creds;
  bool secure = false;  // AT_SECURE: ids changed or capabilities were gained
  bool setid = false;   // the effective uid or gid changed
};
// `no_new_privs`: the set-id bits are ignored and nothing is gained.
ExecOutcome ForExec(const Credentials& c, const ExecImage& image, bool no_new_privs);

// kill(2)'s permission (Linux's kill_ok_by_cred): the sender's real or
// effective uid is the target's real or saved uid, or CAP_KILL.
bool MaySignal(const Credentials& me, const Credentials& them);
// ptrace_may_access with PTRACE_MODE_REALCREDS, for the calls that inspect or
// take from another process (get_robust_list, pidfd_getfd): the caller's real
// ids equal all of the target's ids and the target is dumpable, or
// CAP_SYS_PTRACE; and the target's permitted capabilities are within the
// caller's, or CAP_SYS_PTRACE.
bool MayPtrace(const Credentials& me, const Credentials& them, bool them_dumpable);

// Whether going from `before` to `after` changes identity or loses
// capabilities in the way that makes Linux's commit_creds clear the parent
// death signal and the dumpable flag.
bool LosesIdentity(const Credentials& before, const Credentials& after);

}  // namespace creds

}  // namespace kernel

#endif  // KERNEL_PROCESS_CREDENTIALS_H_
