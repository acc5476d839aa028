#include "kernel/process/credentials.h"

#include <array>

#include "gtest/gtest.h"

namespace kernel::creds {
namespace {

using ostd::Errno;

Credentials Root() { return Credentials{}; }

Credentials User(uint32_t id) {
  Credentials c;
  c.uid = c.euid = c.suid = c.fsuid = id;
  c.gid = c.egid = c.sgid = c.fsgid = id;
  c.cap_permitted = c.cap_effective = 0;
  return c;
}

TEST(SetUid, RootBecomesUserAndLosesEverything) {
  auto n = SetUid(Root(), 1000);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->uid, 1000u);
  EXPECT_EQ(n->euid, 1000u);
  EXPECT_EQ(n->suid, 1000u);
  EXPECT_EQ(n->fsuid, 1000u);
  EXPECT_EQ(n->cap_permitted, 0u);
  EXPECT_EQ(n->cap_effective, 0u);
  EXPECT_EQ(n->cap_bounding, kCapFullSet);  // the bounding set stays
}

TEST(SetUid, UnprivilegedPicksRealOrSaved) {
  Credentials c = User(1000);
  c.suid = 2000;
  EXPECT_EQ(SetUid(c, 3000).error(), Errno::kEPERM);
  EXPECT_EQ(SetUid(c, kNoId).error(), Errno::kEINVAL);
  auto n = SetUid(c, 2000);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->uid, 1000u);
  EXPECT_EQ(n->euid, 2000u);
  EXPECT_EQ(n->suid, 2000u);
  EXPECT_EQ(n->fsuid, 2000u);
}

TEST(SetUid, SetuidRootProgramKeepsSavedRoot) {
  // A set-user-ID-root program run by uid 1000: euid 0, suid 0, full caps.
  Credentials c = Root();
  c.uid = 1000;
  // setuid(1000) with CAP_SETUID sets every uid (no way back).
  auto n = SetUid(c, 1000);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->suid, 1000u);
  EXPECT_EQ(n->cap_permitted, 0u);
}

TEST(SetResUid, EffectiveDropAndRegain) {
  Credentials c = Root();
  auto dropped = SetResUid(c, kNoId, 1000, kNoId);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->euid, 1000u);
  EXPECT_EQ(dropped->fsuid, 1000u);
  EXPECT_EQ(dropped->cap_effective, 0u);           // euid left 0
  EXPECT_EQ(dropped->cap_permitted, kCapFullSet);  // the real and saved uids are still 0
  auto back = SetResUid(*dropped, kNoId, 0, kNoId);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->cap_effective, kCapFullSet);
  auto all = SetResUid(*dropped, 1000, 1000, 1000);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->cap_permitted, 0u);
  EXPECT_EQ(SetResUid(*all, 0, kNoId, kNoId).error(), Errno::kEPERM);
}

TEST(SetResUid, KeepCapsKeepsPermittedNotAmbient) {
  Credentials c = Root();
  c.cap_inheritable = CapBit(Cap::kNetAdmin);
  c.cap_ambient = CapBit(Cap::kNetAdmin);
  auto k = SetKeepCaps(c, 1);
  ASSERT_TRUE(k.has_value());
  auto n = SetResUid(*k, 1000, 1000, 1000);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->cap_permitted, kCapFullSet);
  EXPECT_EQ(n->cap_effective, 0u);  // the euid left 0
  EXPECT_EQ(n->cap_ambient, 0u);
}

TEST(SetResUid, NoSetuidFixupKeepsCapabilities) {
  auto c = SetSecurebits(Root(), kSecureNoSetuidFixup);
  ASSERT_TRUE(c.has_value());
  auto n = SetResUid(*c, 1000, 1000, 1000);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->cap_effective, kCapFullSet);
}

TEST(SetReUid, SavedFollowsRules) {
  Credentials c = User(1000);
  c.euid = c.fsuid = 2000;
  c.suid = 3000;
  // The real uid may become the effective one but not the saved one.
  EXPECT_EQ(SetReUid(c, 3000, kNoId).error(), Errno::kEPERM);
  auto n = SetReUid(c, 2000, kNoId);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->uid, 2000u);
  EXPECT_EQ(n->suid, 2000u);  // the real uid was given: saved = effective
  // Only the effective uid, moved to the saved one (not the real): saved follows.
  auto m = SetReUid(c, kNoId, 3000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->euid, 3000u);
  EXPECT_EQ(m->suid, 3000u);
  // Moved back to the real uid: saved stays.
  auto r = SetReUid(c, kNoId, 1000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->suid, 3000u);
  EXPECT_EQ(r->fsuid, 1000u);
}

TEST(SetGid, NeedsCapSetgidNotUidZero) {
  Credentials c = Root();
  c.cap_effective &= ~CapBit(Cap::kSetgid);
  EXPECT_EQ(SetGid(c, 5).error(), Errno::kEPERM);
  auto n = SetGid(Root(), 5);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->sgid, 5u);
  EXPECT_EQ(n->cap_effective, kCapFullSet);  // gids move no capability
  auto g = SetResGid(User(7), 7, 7, 8);
  EXPECT_EQ(g.error(), Errno::kEPERM);
}

TEST(SetFsUid, FileCapabilitiesFollowTheFsuid) {
  Credentials n = SetFsUid(Root(), 1000);
  EXPECT_EQ(n.fsuid, 1000u);
  EXPECT_EQ(n.cap_effective, kCapFullSet & ~kCapFsSet);
  Credentials back = SetFsUid(n, 0);
  EXPECT_EQ(back.cap_effective, kCapFullSet);
  // Unprivileged: only to one of its ids; otherwise nothing changes.
  Credentials u = User(1000);
  EXPECT_EQ(SetFsUid(u, 0).fsuid, 1000u);
  EXPECT_EQ(SetFsUid(u, kNoId).fsuid, 1000u);
}

TEST(CapSet, Rules) {
  Credentials c = Root();
  c.cap_bounding = ~CapBit(Cap::kSysAdmin) & kCapFullSet;
  // Inheritable outside the bounding set and the old inheritable set.
  EXPECT_EQ(CapSet(c, 0, 0, CapBit(Cap::kSysAdmin)).error(), Errno::kEPERM);
  // Effective outside the new permitted set.
  EXPECT_EQ(CapSet(c, CapBit(Cap::kKill), 0, 0).error(), Errno::kEPERM);
  auto n = CapSet(c, CapBit(Cap::kKill), CapBit(Cap::kKill) | CapBit(Cap::kChown), 0);
  ASSERT_TRUE(n.has_value());
  // Permitted cannot grow again.
  EXPECT_EQ(CapSet(*n, 0, CapBit(Cap::kSetuid), 0).error(), Errno::kEPERM);
  // Without CAP_SETPCAP, inheritable only within inheritable | permitted.
  EXPECT_EQ(CapSet(*n, 0, CapBit(Cap::kKill), CapBit(Cap::kSetuid)).error(), Errno::kEPERM);
  auto i = CapSet(*n, 0, CapBit(Cap::kKill), CapBit(Cap::kChown));
  ASSERT_TRUE(i.has_value());
  // Bits above CAP_LAST_CAP are ignored.
  auto hi = CapSet(c, uint64_t{1} << 60, uint64_t{1} << 60, 0);
  ASSERT_TRUE(hi.has_value());
  EXPECT_EQ(hi->cap_permitted, 0u);
}

TEST(CapSet, AmbientDropsWhatIsNoLongerPermittedAndInheritable) {
  Credentials c = Root();
  c.cap_inheritable = CapBit(Cap::kKill) | CapBit(Cap::kChown);
  auto a = RaiseAmbient(c, static_cast<int>(Cap::kKill));
  ASSERT_TRUE(a.has_value());
  a = RaiseAmbient(*a, static_cast<int>(Cap::kChown));
  ASSERT_TRUE(a.has_value());
  auto n = CapSet(*a, 0, kCapFullSet, CapBit(Cap::kChown));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->cap_ambient, CapBit(Cap::kChown));
  EXPECT_EQ(RaiseAmbient(*n, static_cast<int>(Cap::kKill)).error(), Errno::kEPERM);
  EXPECT_EQ(LowerAmbient(*n, static_cast<int>(Cap::kChown)).cap_ambient, 0u);
}

TEST(Securebits, LocksAndPrivilege) {
  auto locked = SetSecurebits(Root(), kSecureKeepCaps | (kSecureKeepCaps << 1));
  ASSERT_TRUE(locked.has_value());
  EXPECT_EQ(SetKeepCaps(*locked, 0).error(), Errno::kEPERM);
  EXPECT_EQ(SetSecurebits(*locked, kSecureKeepCaps).error(), Errno::kEPERM);  // unlock
  EXPECT_EQ(SetSecurebits(*locked, kSecureKeepCaps << 1).error(), Errno::kEPERM);
  EXPECT_EQ(SetSecurebits(Root(), 1 << 8).error(), Errno::kEPERM);
  EXPECT_EQ(SetSecurebits(User(5), 0).error(), Errno::kEPERM);
  EXPECT_EQ(SetKeepCaps(Root(), 2).error(), Errno::kEINVAL);
}

TEST(Bounding, Drop) {
  EXPECT_EQ(DropBounding(User(5), 3).error(), Errno::kEPERM);
  EXPECT_EQ(DropBounding(Root(), 41).error(), Errno::kEINVAL);
  auto n = DropBounding(Root(), 3);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->cap_bounding, kCapFullSet & ~uint64_t{8});
  // An exec by root is bounded by it.
  ExecOutcome e = ForExec(*n, ExecImage{0, 0, 0755}, false);
  EXPECT_EQ(e.creds.cap_permitted, kCapFullSet & ~uint64_t{8});
}

TEST(Access, RealIdsDecide) {
  Credentials c = User(1000);
  c.euid = c.fsuid = 0;
  c.cap_permitted = c.cap_effective = kCapFullSet;
  Credentials a = ForAccessCheck(c);
  EXPECT_EQ(a.fsuid, 1000u);
  EXPECT_EQ(a.cap_effective, 0u);
  Credentials r = Root();
  r.cap_effective = 0;
  EXPECT_EQ(ForAccessCheck(r).cap_effective, kCapFullSet);
}

TEST(Exec, RootKeepsEverythingUserGetsNothing) {
  ExecOutcome root = ForExec(Root(), ExecImage{0, 0, 0755}, false);
  EXPECT_EQ(root.creds.cap_effective, kCapFullSet);
  EXPECT_FALSE(root.secure);
  EXPECT_FALSE(root.setid);
  ExecOutcome user = ForExec(User(1000), ExecImage{0, 0, 0755}, false);
  EXPECT_EQ(user.creds.cap_permitted, 0u);
  EXPECT_FALSE(user.secure);
}

TEST(Exec, SetuidRootProgram) {
  ExecOutcome e = ForExec(User(1000), ExecImage{0, 0, 04755}, false);
  EXPECT_EQ(e.creds.uid, 1000u);
  EXPECT_EQ(e.creds.euid, 0u);
  EXPECT_EQ(e.creds.suid, 0u);
  EXPECT_EQ(e.creds.fsuid, 0u);
  EXPECT_EQ(e.creds.cap_effective, kCapFullSet);
  EXPECT_TRUE(e.secure);
  EXPECT_TRUE(e.setid);
  // Under no_new_privs the bit is ignored.
  ExecOutcome n = ForExec(User(1000), ExecImage{0, 0, 04755}, true);
  EXPECT_EQ(n.creds.euid, 1000u);
  EXPECT_EQ(n.creds.cap_permitted, 0u);
  EXPECT_FALSE(n.secure);
}

TEST(Exec, SetgidNeedsGroupExecute) {
  ExecOutcome e = ForExec(User(1000), ExecImage{0, 50, 02755}, false);
  EXPECT_EQ(e.creds.egid, 50u);
  EXPECT_EQ(e.creds.sgid, 50u);
  ExecOutcome lock = ForExec(User(1000), ExecImage{0, 50, 02745}, false);  // mandatory-lock mark
  EXPECT_EQ(lock.creds.egid, 1000u);
}

TEST(Exec, RealRootOnlyGetsPermittedNotEffective) {
  Credentials c = Root();
  c.euid = c.fsuid = 1000;
  c.cap_effective = 0;
  ExecOutcome e = ForExec(c, ExecImage{0, 0, 0755}, false);
  EXPECT_EQ(e.creds.cap_permitted, kCapFullSet);
  EXPECT_EQ(e.creds.cap_effective, 0u);
  EXPECT_EQ(e.creds.suid, 1000u);
  EXPECT_TRUE(e.secure);  // euid != uid counts as set-id, as on Linux
}

TEST(Exec, AmbientSurvivesForUsers) {
  Credentials c = Root();
  c.cap_inheritable = CapBit(Cap::kNetBindService);
  auto a = RaiseAmbient(c, static_cast<int>(Cap::kNetBindService));
  ASSERT_TRUE(a.has_value());
  auto k = SetKeepCaps(*a, 1);
  ASSERT_TRUE(k.has_value());
  auto u = SetResUid(*k, 1000, 1000, 1000);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->cap_ambient, 0u);  // leaving root drops ambient even with keepcaps
  // Raise it again as the user (still permitted and inheritable).
  auto again = RaiseAmbient(*u, static_cast<int>(Cap::kNetBindService));
  ASSERT_TRUE(again.has_value());
  ExecOutcome e = ForExec(*again, ExecImage{0, 0, 0755}, false);
  EXPECT_EQ(e.creds.cap_permitted, CapBit(Cap::kNetBindService));
  EXPECT_EQ(e.creds.cap_effective, CapBit(Cap::kNetBindService));
  EXPECT_EQ(e.creds.securebits & kSecureKeepCaps, 0u);  // exec clears keepcaps
  EXPECT_FALSE(e.secure);
}

TEST(Exec, NoRootBit) {
  auto c = SetSecurebits(Root(), kSecureNoroot);
  ASSERT_TRUE(c.has_value());
  ExecOutcome e = ForExec(*c, ExecImage{0, 0, 0755}, false);
  EXPECT_EQ(e.creds.cap_permitted, 0u);
}

TEST(LosesIdentity, IdsAndGains) {
  Credentials c = User(5);
  EXPECT_FALSE(LosesIdentity(c, c));
  Credentials d = c;
  d.fsgid = 6;
  EXPECT_TRUE(LosesIdentity(c, d));
  Credentials g = c;
  g.cap_permitted = 1;
  EXPECT_TRUE(LosesIdentity(c, g));
  EXPECT_FALSE(LosesIdentity(g, c));  // dropping a capability is fine
}

TEST(MaySignal, UidsOrCapKill) {
  Credentials a = User(1000), b = User(2000);
  EXPECT_FALSE(MaySignal(a, b));
  b.suid = 1000;  // the target's saved uid is the sender's
  EXPECT_TRUE(MaySignal(a, b));
  Credentials c = User(2000);
  c.euid = 2000;
  a.euid = 2000;  // the sender's effective uid is the target's real one
  EXPECT_TRUE(MaySignal(a, c));
  Credentials r = User(3000);
  r.cap_effective = CapBit(Cap::kKill);
  EXPECT_TRUE(MaySignal(r, User(1)));
}

TEST(MayPtrace, IdsDumpableAndCapabilities) {
  EXPECT_TRUE(MayPtrace(User(5), User(5), true));
  EXPECT_FALSE(MayPtrace(User(5), User(5), false));
  EXPECT_FALSE(MayPtrace(User(5), User(6), true));
  Credentials t = User(5);
  t.cap_permitted = CapBit(Cap::kChown);
  EXPECT_FALSE(MayPtrace(User(5), t, true));  // the target has more
  EXPECT_TRUE(MayPtrace(Root(), t, false));
}

TEST(GroupList, SortedAndSearchable) {
  std::array<uint32_t, 4> gids = {30, 10, 20, 10};
  auto l = GroupList::Create(gids);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ((*l)->size(), 4u);
  EXPECT_EQ((*l)->gids()[0], 10u);
  EXPECT_EQ((*l)->gids()[3], 30u);
  EXPECT_TRUE((*l)->Contains(20));
  EXPECT_FALSE((*l)->Contains(25));
}

}  // namespace
}  // namespace kernel::creds
