#include "kernel/exec/stack.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "gtest/gtest.h"

#include "ostd/result.h"

namespace kernel::exec {
namespace {

using ostd::Errno;

constexpr uint64_t kTop = 0x7ffffffff000;

// Room for the largest image the tests build (under kMaxArgBytes plus tables).
std::array<uint8_t, 3 * 1024 * 1024> g_buf;
// Filler for long strings.
std::array<char, kMaxArgStrlen + 1> g_chars;

std::string_view Chars(size_t n) {
  g_chars.fill('x');
  return std::string_view(std::span<const char>(g_chars).first(n));
}

// Reads the image as user memory would: by user address.
class Image {
 public:
  explicit Image(const StackLayout& l) : l_(l) {}
  uint64_t Word(uint64_t addr) const {
    uint64_t v = 0;
    for (uint64_t i = 8; i > 0; --i) v = (v << 8) | Byte(addr + i - 1);
    return v;
  }
  bool StrIs(uint64_t addr, std::string_view want) const {
    for (size_t i = 0; i < want.size(); ++i) {
      if (Byte(addr + i) != static_cast<uint8_t>(want[i])) return false;
    }
    return Byte(addr + want.size()) == 0;
  }
  uint8_t Byte(uint64_t addr) const {
    EXPECT_GE(addr, l_.rsp);
    EXPECT_LT(addr - l_.rsp, l_.size);
    return g_buf.at(addr - l_.rsp);
  }

 private:
  StackLayout l_;
};

StackInputs Inputs(std::span<const std::string_view> argv, std::span<const std::string_view> envp) {
  StackInputs in;
  in.stack_top = kTop;
  in.argv = argv;
  in.envp = envp;
  in.execfn = "/bin/prog";
  for (size_t i = 0; i < in.random.size(); ++i) in.random.at(i) = static_cast<uint8_t>(0xa0 + i);
  in.phdr = 0x400040;
  in.phnum = 10;
  in.entry = 0x401000;
  in.uid = 1;
  in.euid = 2;
  in.gid = 3;
  in.egid = 4;
  in.hwcap = 0x178bfbff;
  in.minsigstksz = 3632;
  return in;
}

std::pair<StackLayout, Image> Build(const StackInputs& in) {
  auto plan = PlanInitialStack(in);
  EXPECT_TRUE(plan.has_value());
  g_buf.fill(0xcc);
  auto l = BuildInitialStack(in, g_buf);
  EXPECT_TRUE(l.has_value());
  EXPECT_EQ(l->rsp, plan->rsp);
  EXPECT_EQ(l->size, plan->size);
  return {*l, Image(*l)};
}

TEST(StackTest, LinuxLayoutWordByWord) {
  const std::array<std::string_view, 2> argv = {"/bin/prog", "arg1"};
  const std::array<std::string_view, 3> envp = {"A=1", "HOME=/", "TERM=linux"};
  StackInputs in = Inputs(argv, envp);
  auto [l, img] = Build(in);

  // Strings: 8 zero bytes at the top, execfn under them, envp above argv.
  EXPECT_EQ(img.Word(kTop - 8), 0u);
  EXPECT_EQ(l.execfn, kTop - 8 - 10);
  EXPECT_TRUE(img.StrIs(l.execfn, "/bin/prog"));
  const uint64_t strings_bytes = 10 + 5 + 4 + 7 + 11;
  EXPECT_EQ(l.strings, l.execfn - strings_bytes);
  EXPECT_EQ(l.platform, (l.strings & ~uint64_t{15}) - 7);
  EXPECT_TRUE(img.StrIs(l.platform, "x86_64"));
  EXPECT_EQ(l.random, l.platform - 16);
  for (uint64_t i = 0; i < 16; ++i) EXPECT_EQ(img.Byte(l.random + i), 0xa0 + i);

  // rsp: 16-aligned, argc, argv, NULL, envp, NULL, auxv.
  EXPECT_EQ(l.rsp % 16, 0u);
  EXPECT_EQ(l.size, kTop - l.rsp);
  EXPECT_EQ(img.Word(l.rsp), 2u);
  EXPECT_EQ(l.argv, l.rsp + 8);
  uint64_t s = l.strings;
  for (size_t i = 0; i < argv.size(); ++i) {
    EXPECT_EQ(img.Word(l.argv + 8 * i), s);
    EXPECT_TRUE(img.StrIs(s, argv.at(i)));
    s += argv.at(i).size() + 1;
  }
  EXPECT_EQ(img.Word(l.argv + 16), 0u);
  EXPECT_EQ(l.envp, l.argv + 24);
  for (size_t i = 0; i < envp.size(); ++i) {
    EXPECT_EQ(img.Word(l.envp + 8 * i), s);
    EXPECT_TRUE(img.StrIs(s, envp.at(i)));
    s += envp.at(i).size() + 1;
  }
  EXPECT_EQ(s, l.execfn);
  EXPECT_EQ(img.Word(l.envp + 24), 0u);
  EXPECT_EQ(l.auxv, l.envp + 32);

  const std::array<std::pair<uint64_t, uint64_t>, 20> want = {{
      {kAtMinsigstksz, 3632},
      {kAtHwcap, 0x178bfbff},
      {kAtPagesz, 4096},
      {kAtClktck, 100},
      {kAtPhdr, 0x400040},
      {kAtPhent, 56},
      {kAtPhnum, 10},
      {kAtBase, 0},
      {kAtFlags, 0},
      {kAtEntry, 0x401000},
      {kAtUid, 1},
      {kAtEuid, 2},
      {kAtGid, 3},
      {kAtEgid, 4},
      {kAtSecure, 0},
      {kAtRandom, l.random},
      {kAtHwcap2, 0},
      {kAtExecfn, l.execfn},
      {kAtPlatform, l.platform},
      {kAtNull, 0},
  }};
  ASSERT_EQ(l.auxv_count, want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(img.Word(l.auxv + 16 * i), want.at(i).first) << "auxv " << i;
    EXPECT_EQ(img.Word(l.auxv + 16 * i + 8), want.at(i).second) << "auxv " << i;
  }
  // Linux's STACK_ROUND: the table ends at most 15 bytes below AT_RANDOM's bytes.
  const uint64_t table_end = l.auxv + 16 * want.size();
  EXPECT_LE(table_end, l.random);
  EXPECT_LT(l.random - table_end, 16u);
  for (uint64_t a = table_end; a < l.random; ++a) EXPECT_EQ(img.Byte(a), 0);
}

// The exact numbers Linux produces for this input (computed by hand from
// create_elf_tables: p = top - 8 - 10 - 4 = 0x7fffffffefe6, & ~15 = ...efe0,
// platform at ...efd9, random at ...efc9; 20 auxv pairs + 4 words of
// argc/argv[0]/NULL/NULL: (0x7fffffffefc9 - 320 - 32) & ~15 = 0x7fffffffee60).
TEST(StackTest, ExactAddressesForEmptyEnvironment) {
  const std::array<std::string_view, 1> argv = {"abc"};
  StackInputs in = Inputs(argv, {});
  auto [l, img] = Build(in);
  EXPECT_EQ(l.execfn, 0x7fffffffefeeu);
  EXPECT_EQ(l.strings, 0x7fffffffefeau);
  EXPECT_EQ(l.platform, 0x7fffffffefd9u);
  EXPECT_EQ(l.random, 0x7fffffffefc9u);
  EXPECT_EQ(l.rsp, 0x7fffffffee60u);
  EXPECT_EQ(img.Word(l.rsp), 1u);
  EXPECT_TRUE(img.StrIs(img.Word(l.rsp + 8), "abc"));
  EXPECT_EQ(img.Word(l.rsp + 16), 0u);  // argv NULL
  EXPECT_EQ(img.Word(l.rsp + 24), 0u);  // envp NULL
  EXPECT_EQ(img.Word(l.rsp + 32), kAtMinsigstksz);
}

TEST(StackTest, AlignmentForEveryStringLength) {
  for (size_t n = 0; n < 40; ++n) {
    const std::array<std::string_view, 2> argv = {"p", Chars(n)};
    const std::array<std::string_view, 3> env = {"E=1", "F=22", "G=333"};
    for (size_t envc = 0; envc <= env.size(); ++envc) {
      StackInputs in = Inputs(argv, std::span<const std::string_view>(env).first(envc));
      auto l = PlanInitialStack(in);
      ASSERT_TRUE(l.has_value());
      EXPECT_EQ(l->rsp % 16, 0u);
      EXPECT_LE(l->auxv + 16 * l->auxv_count, l->random);
      EXPECT_LT(l->random - (l->auxv + 16 * l->auxv_count), 16u);
    }
  }
}

TEST(StackTest, EmptyArgvBecomesEmptyString) {
  StackInputs in = Inputs({}, {});
  auto [l, img] = Build(in);
  EXPECT_EQ(img.Word(l.rsp), 1u);
  EXPECT_TRUE(img.StrIs(img.Word(l.argv), ""));
  EXPECT_EQ(img.Word(l.argv + 8), 0u);
}

TEST(StackTest, VdsoAndNoPlatform) {
  const std::array<std::string_view, 1> argv = {"a"};
  StackInputs in = Inputs(argv, {});
  in.sysinfo_ehdr = 0x7ffff7fc1000;
  in.platform = "";
  auto [l, img] = Build(in);
  EXPECT_EQ(l.platform, 0u);
  EXPECT_EQ(img.Word(l.auxv), kAtSysinfoEhdr);
  EXPECT_EQ(img.Word(l.auxv + 8), 0x7ffff7fc1000u);
  EXPECT_EQ(l.auxv_count, 20u);  // + SYSINFO_EHDR - PLATFORM
  EXPECT_EQ(img.Word(l.auxv + 16 * 19), kAtNull);
  EXPECT_EQ(l.random, (l.strings & ~uint64_t{15}) - 16);
}

TEST(StackTest, StringLimits) {
  std::array<std::string_view, 1> argv = {Chars(kMaxArgStrlen - 1)};
  EXPECT_TRUE(PlanInitialStack(Inputs(argv, {})).has_value());
  argv[0] = Chars(kMaxArgStrlen);
  EXPECT_EQ(PlanInitialStack(Inputs(argv, {})).error(), Errno::kE2BIG);
  StackInputs in = Inputs({}, {});
  in.execfn = Chars(kMaxArgStrlen);
  EXPECT_EQ(PlanInitialStack(in).error(), Errno::kE2BIG);
}

std::array<std::string_view, kMaxArgBytes / 9> g_many;

TEST(StackTest, TotalLimit) {
  // 16 strings of 128 KiB = 2 MiB of strings plus pointers: too much.
  std::array<std::string_view, 16> envp;
  envp.fill(Chars(kMaxArgStrlen - 1));
  const std::array<std::string_view, 1> argv = {"p"};
  EXPECT_EQ(PlanInitialStack(Inputs(argv, envp)).error(), Errno::kE2BIG);
  auto fifteen = std::span<const std::string_view>(envp).first(15);
  auto l = PlanInitialStack(Inputs(argv, fifteen));
  ASSERT_TRUE(l.has_value());
  EXPECT_GT(l->size, 15 * kMaxArgStrlen);
  auto [built, img] = Build(Inputs(argv, fifteen));
  EXPECT_EQ(img.Word(built.rsp), 1u);
  // Many small strings: the pointers count too.
  g_many.fill(std::string_view(""));
  EXPECT_EQ(PlanInitialStack(Inputs(argv, g_many)).error(), Errno::kE2BIG);
}

TEST(StackTest, CallerErrors) {
  const std::array<std::string_view, 1> argv = {"a"};
  StackInputs in = Inputs(argv, {});
  auto l = PlanInitialStack(in);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(BuildInitialStack(in, std::span<uint8_t>(g_buf).first(l->size - 1)).error(),
            Errno::kEINVAL);
  in.stack_top = kTop + 8;
  EXPECT_EQ(PlanInitialStack(in).error(), Errno::kEINVAL);
  in.stack_top = 256;
  EXPECT_EQ(PlanInitialStack(in).error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace kernel::exec
