// The credential transitions of credentials.h, after Linux's kernel/sys.c,
// kernel/capability.c, security/commoncap.c and fs/exec.c.
#include "kernel/process/credentials.h"

#include <algorithm>

namespace kernel {

using ostd::Err;
using ostd::Errno;
using ostd::Result;

Result<ostd::RefPtr<GroupList>> GroupList::Create(std::span<const uint32_t> gids) {
  OSTD_TRY_ASSIGN(ostd::RefPtr<GroupList> list, ostd::MakeRef<GroupList>());
  OSTD_TRY(list->gids_.Reserve(gids.size()));
  for (uint32_t g : gids) OSTD_TRY(list->gids_.Push(g));
  std::ranges::sort(list->gids_.span());
  return list;
}

bool GroupList::Contains(uint32_t gid) const {
  return std::ranges::binary_search(gids_.span(), gid);
}

namespace creds {
namespace {

bool AnyRoot(uint32_t a, uint32_t b, uint32_t c) { return a == 0 || b == 0 || c == 0; }

// Linux's cap_task_fix_setuid for setuid, setreuid and setresuid
// (cap_emulate_setxuid): leaving every root id drops the permitted and
// effective sets (unless SECBIT_KEEP_CAPS) and the ambient set; an effective
// uid leaving 0 drops the effective set, one reaching 0 raises it to the
// permitted set.
void FixSetuid(const Credentials& old, Credentials& n) {
  if (old.Secure(kSecureNoSetuidFixup)) return;
  if (AnyRoot(old.uid, old.euid, old.suid) && !AnyRoot(n.uid, n.euid, n.suid)) {
    if (!old.Secure(kSecureKeepCaps)) {
      n.cap_permitted = 0;
      n.cap_effective = 0;
    }
    n.cap_ambient = 0;
  }
  if (old.euid == 0 && n.euid != 0) n.cap_effective = 0;
  if (old.euid != 0 && n.euid == 0) n.cap_effective = n.cap_permitted;
}

// The same for setfsuid: the file-system capabilities follow the fsuid.
void FixSetfsuid(const Credentials& old, Credentials& n) {
  if (old.Secure(kSecureNoSetuidFixup)) return;
  if (old.fsuid == 0 && n.fsuid != 0) n.cap_effective &= ~kCapFsSet;
  if (old.fsuid != 0 && n.fsuid == 0) n.cap_effective |= n.cap_permitted & kCapFsSet;
}

bool OneOf(uint32_t v, uint32_t a, uint32_t b, uint32_t c) { return v == a || v == b || v == c; }

// The uid and gid forms share the id logic; IdRefs names the four fields.
struct IdRefs {
  uint32_t& real;
  uint32_t& effective;
  uint32_t& saved;
  uint32_t& fs;
};
IdRefs Uids(Credentials& c) { return {c.uid, c.euid, c.suid, c.fsuid}; }
IdRefs Gids(Credentials& c) { return {c.gid, c.egid, c.sgid, c.fsgid}; }

Result<Credentials> DoSetId(const Credentials& c, uint32_t id, bool gid) {
  if (id == kNoId) return Err(Errno::kEINVAL);
  Credentials n = c;
  IdRefs ids = gid ? Gids(n) : Uids(n);
  if (c.Capable(gid ? Cap::kSetgid : Cap::kSetuid)) {
    ids.real = ids.saved = id;
  } else if (id != ids.real && id != ids.saved) {
    return Err(Errno::kEPERM);
  }
  ids.effective = ids.fs = id;
  if (!gid) FixSetuid(c, n);
  return n;
}

Result<Credentials> DoSetReId(const Credentials& c, uint32_t real, uint32_t effective, bool gid) {
  Credentials n = c;
  IdRefs ids = gid ? Gids(n) : Uids(n);
  const uint32_t old_real = ids.real, old_effective = ids.effective, old_saved = ids.saved;
  bool capable = c.Capable(gid ? Cap::kSetgid : Cap::kSetuid);
  if (real != kNoId) {
    if (real != old_real && real != old_effective && !capable) return Err(Errno::kEPERM);
    ids.real = real;
  }
  if (effective != kNoId) {
    if (!OneOf(effective, old_real, old_effective, old_saved) && !capable) {
      return Err(Errno::kEPERM);
    }
    ids.effective = effective;
  }
  if (real != kNoId || (effective != kNoId && effective != old_real)) ids.saved = ids.effective;
  ids.fs = ids.effective;
  if (!gid) FixSetuid(c, n);
  return n;
}

Result<Credentials> DoSetResId(const Credentials& c, uint32_t real, uint32_t effective,
                               uint32_t saved, bool gid) {
  Credentials n = c;
  IdRefs ids = gid ? Gids(n) : Uids(n);
  uint32_t r = ids.real, e = ids.effective, s = ids.saved;
  if (!c.Capable(gid ? Cap::kSetgid : Cap::kSetuid)) {
    for (uint32_t v : {real, effective, saved}) {
      if (v != kNoId && !OneOf(v, r, e, s)) return Err(Errno::kEPERM);
    }
  }
  if (real != kNoId) ids.real = real;
  if (effective != kNoId) ids.effective = effective;
  if (saved != kNoId) ids.saved = saved;
  ids.fs = ids.effective;
  if (!gid) FixSetuid(c, n);
  return n;
}

Credentials DoSetFsId(const Credentials& c, uint32_t id, bool gid) {
  Credentials n = c;
  IdRefs ids = gid ? Gids(n) : Uids(n);
  if (id == kNoId || id == ids.fs) return c;
  if (!OneOf(id, ids.real, ids.effective, ids.saved) &&
      !c.Capable(gid ? Cap::kSetgid : Cap::kSetuid)) {
    return c;
  }
  ids.fs = id;
  if (!gid) FixSetfsuid(c, n);
  return n;
}

bool Subset(uint64_t a, uint64_t of) { return (a & ~of) == 0; }

}  // namespace

Result<Credentials> SetUid(const Credentials& c, uint32_t uid) { return DoSetId(c, uid, false); }
Result<Credentials> SetGid(const Credentials& c, uint32_t gid) { return DoSetId(c, gid, true); }
Result<Credentials> SetReUid(const Credentials& c, uint32_t ruid, uint32_t euid) {
  return DoSetReId(c, ruid, euid, false);
}
Result<Credentials> SetReGid(const Credentials& c, uint32_t rgid, uint32_t egid) {
  return DoSetReId(c, rgid, egid, true);
}
Result<Credentials> SetResUid(const Credentials& c, uint32_t ruid, uint32_t euid, uint32_t suid) {
  return DoSetResId(c, ruid, euid, suid, false);
}
Result<Credentials> SetResGid(const Credentials& c, uint32_t rgid, uint32_t egid, uint32_t sgid) {
  return DoSetResId(c, rgid, egid, sgid, true);
}
Credentials SetFsUid(const Credentials& c, uint32_t uid) { return DoSetFsId(c, uid, false); }
Credentials SetFsGid(const Credentials& c, uint32_t gid) { return DoSetFsId(c, gid, true); }

Result<Credentials> CapSet(const Credentials& c, uint64_t effective, uint64_t permitted,
                           uint64_t inheritable) {
  effective &= kCapFullSet;
  permitted &= kCapFullSet;
  inheritable &= kCapFullSet;
  // Without CAP_SETPCAP the inheritable set is capped by what the caller has.
  if (!c.Capable(Cap::kSetpcap) && !Subset(inheritable, c.cap_inheritable | c.cap_permitted)) {
    return Err(Errno::kEPERM);
  }
  if (!Subset(inheritable, c.cap_inheritable | c.cap_bounding)) return Err(Errno::kEPERM);
  if (!Subset(permitted, c.cap_permitted)) return Err(Errno::kEPERM);
  if (!Subset(effective, permitted)) return Err(Errno::kEPERM);
  Credentials n = c;
  n.cap_effective = effective;
  n.cap_permitted = permitted;
  n.cap_inheritable = inheritable;
  n.cap_ambient &= permitted & inheritable;
  return n;
}

Result<Credentials> SetKeepCaps(const Credentials& c, uint64_t on) {
  if (on > 1) return Err(Errno::kEINVAL);
  if (c.Secure(kSecureKeepCaps << 1)) return Err(Errno::kEPERM);
  Credentials n = c;
  n.securebits = on != 0 ? (c.securebits | kSecureKeepCaps) : (c.securebits & ~kSecureKeepCaps);
  return n;
}

Result<Credentials> SetSecurebits(const Credentials& c, uint64_t bits) {
  uint64_t locks = c.securebits & kSecureAllLocks;
  if (((locks >> 1) & (c.securebits ^ bits)) != 0 ||  // a locked bit changes
      (locks & ~bits) != 0 ||                         // a lock is released
      (bits & ~uint64_t{kSecureAllLocks | kSecureAllBits}) != 0 || !c.Capable(Cap::kSetpcap)) {
    return Err(Errno::kEPERM);
  }
  Credentials n = c;
  n.securebits = static_cast<uint32_t>(bits);
  return n;
}

Result<Credentials> DropBounding(const Credentials& c, uint64_t cap) {
  if (!c.Capable(Cap::kSetpcap)) return Err(Errno::kEPERM);
  if (!CapValid(cap)) return Err(Errno::kEINVAL);
  Credentials n = c;
  n.cap_bounding &= ~(uint64_t{1} << cap);
  return n;
}

Result<Credentials> RaiseAmbient(const Credentials& c, uint64_t cap) {
  uint64_t bit = uint64_t{1} << cap;
  if ((c.cap_permitted & bit) == 0 || (c.cap_inheritable & bit) == 0 ||
      c.Secure(kSecureNoCapAmbientRaise)) {
    return Err(Errno::kEPERM);
  }
  Credentials n = c;
  n.cap_ambient |= bit;
  return n;
}

Credentials LowerAmbient(const Credentials& c, uint64_t cap) {
  Credentials n = c;
  n.cap_ambient &= ~(uint64_t{1} << cap);
  return n;
}

Credentials ForAccessCheck(const Credentials& c) {
  Credentials n = c;
  n.fsuid = c.uid;
  n.fsgid = c.gid;
  if (!c.Secure(kSecureNoSetuidFixup)) n.cap_effective = c.uid == 0 ? c.cap_permitted : 0;
  return n;
}

ExecOutcome ForExec(const Credentials& c, const ExecImage& image, bool no_new_privs) {
  constexpr uint32_t kSetUidBit = 04000, kSetGidBit = 02000, kGroupExec = 010;
  ExecOutcome out;
  Credentials& n = out.creds;
  n = c;
  bool per_clear = false;
  // bprm_fill_uid: the set-id bits (ignored under no_new_privs).
  if (!no_new_privs) {
    if ((image.mode & kSetUidBit) != 0) {
      n.euid = image.uid;
      per_clear = true;
    }
    if ((image.mode & (kSetGidBit | kGroupExec)) == (kSetGidBit | kGroupExec)) {
      n.egid = image.gid;
      per_clear = true;
    }
  }
  // cap_bprm_creds_from_file with no file capabilities: nothing is permitted
  // but what root (real or effective) gets, and the ambient set.
  n.cap_permitted = 0;
  bool effective = false;
  if (!c.Secure(kSecureNoroot)) {
    if (n.euid == 0 || n.uid == 0) n.cap_permitted = c.cap_bounding | c.cap_inheritable;
    if (n.euid == 0) effective = true;
  }
  bool gained = !Subset(n.cap_permitted, c.cap_permitted);
  bool is_setid = n.euid != c.uid || n.egid != c.gid;
  // Under no_new_privs a set-id or capability-gaining exec is downgraded: no
  // more than the caller had.
  if ((is_setid || gained) && no_new_privs) {
    n.euid = n.uid;
    n.egid = n.gid;
    n.cap_permitted &= c.cap_permitted;
  }
  n.suid = n.fsuid = n.euid;
  n.sgid = n.fsgid = n.egid;
  if (is_setid) n.cap_ambient = 0;
  n.cap_permitted |= n.cap_ambient;
  n.cap_effective = effective ? n.cap_permitted : n.cap_ambient;
  n.securebits &= ~kSecureKeepCaps;
  out.secure = is_setid || (n.uid != 0 && (effective || !Subset(n.cap_permitted, n.cap_ambient)));
  out.setid = per_clear || gained;
  return out;
}

bool MaySignal(const Credentials& me, const Credentials& them) {
  return me.Capable(Cap::kKill) || me.uid == them.uid || me.uid == them.suid ||
         me.euid == them.uid || me.euid == them.suid;
}

bool MayPtrace(const Credentials& me, const Credentials& them, bool them_dumpable) {
  bool ptrace_cap = me.Capable(Cap::kSysPtrace);
  bool same_ids = me.uid == them.uid && me.uid == them.euid && me.uid == them.suid &&
                  me.gid == them.gid && me.gid == them.egid && me.gid == them.sgid;
  if (!same_ids && !ptrace_cap) return false;
  if (!them_dumpable && !ptrace_cap) return false;
  return Subset(them.cap_permitted, me.cap_permitted) || ptrace_cap;
}

bool LosesIdentity(const Credentials& before, const Credentials& after) {
  return before.euid != after.euid || before.egid != after.egid || before.fsuid != after.fsuid ||
         before.fsgid != after.fsgid || !Subset(after.cap_permitted, before.cap_permitted);
}

}  // namespace creds
}  // namespace kernel
