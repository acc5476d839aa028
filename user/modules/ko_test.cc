// Keel's module parser, layout and linker on real kbuild modules: the test
// modules of this directory (README.md), Debian's in-tree modules under
// /lib/modules, and corrupted copies (every ELF header field, truncation,
// bad relocation types, overflowing relocations): a LinkedModule or
// ENOEXEC/EINVAL-class errors, never a crash.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "kernel/module/bytes.h"
#include "kernel/module/elf_module.h"
#include "kernel/module/layout.h"
#include "kernel/module/link.h"
#include "kernel/module/modinfo.h"
#include "kernel/module/params.h"
#include "ostd/result.h"

namespace kernel::module {
namespace {

using ostd::Errno;

constexpr uint64_t kCoreBase = 0xffffffffa0000000;
constexpr uint64_t kInitBase = 0xffffffffa0100000;
constexpr uint64_t kKernelText = 0xffffffff81000000;

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::string Str(std::span<const uint8_t> s) { return std::string(s.begin(), s.end()); }

// Resolves the names in `known` (to distinct kernel-text addresses), or
// every name if `all`.
class FakeKernel : public SymbolResolver {
 public:
  explicit FakeKernel(bool all) : all_(all) {}
  void Add(const std::string& name, uint64_t addr) { known_[name] = addr; }
  ostd::Result<uint64_t> Resolve(std::span<const uint8_t> name) const override {
    auto it = known_.find(Str(name));
    if (it != known_.end()) return it->second;
    if (all_) return kKernelText + 16 * (std::hash<std::string>()(Str(name)) % 0x100000);
    return ostd::Err(Errno::kENOENT);
  }
  std::map<std::string, uint64_t> known_;
  bool all_;
};

FakeKernel HelloKernel() {
  FakeKernel k(false);
  k.Add("_printk", kKernelText + 0x100);
  k.Add("__fentry__", kKernelText + 0x200);
  k.Add("__x86_return_thunk", kKernelText + 0x300);
  k.Add("param_ops_int", 0xffffffff82000000);
  k.Add("param_ops_charp", 0xffffffff82000040);
  return k;
}

// Parse, lay out and link; the first error.
ostd::Result<LinkedModule> Load(std::span<const uint8_t> file, const SymbolResolver& k,
                                std::span<const uint8_t>* missing = nullptr) {
  OSTD_TRY_ASSIGN(Unsigned u, StripSignature(file));
  OSTD_TRY_ASSIGN(ModuleElf elf, ParseModuleElf(u.payload));
  if (elf.modinfo == 0) return ostd::Err(Errno::kENOEXEC);
  OSTD_TRY_ASSIGN(ModInfo info, ParseModInfo(elf.Bytes(elf.modinfo)));
  (void)info;
  OSTD_TRY_ASSIGN(Layout layout, LayOut(elf));
  return Link(elf, layout, kCoreBase, kInitBase, k, missing);
}

std::string ModulePath(const char* name) { return std::string("user/modules/") + name; }

TEST(KoTest, HelloLinks) {
  std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  ASSERT_GT(file.size(), 1000u);
  ostd::Result<ModuleElf> elf = ParseModuleElf(file);
  ASSERT_TRUE(elf.has_value());
  ostd::Result<ModInfo> info = ParseModInfo(elf->Bytes(elf->modinfo));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(Str(info->name), "hello");
  EXPECT_EQ(Str(info->license), "GPL");
  EXPECT_TRUE(SameVermagic(info->vermagic, "6.1.0-keel SMP preempt mod_unload modversions ",
                           elf->versions != 0));
  ASSERT_EQ(info->params.size(), 2u);  // in reverse order of declaration
  EXPECT_EQ(Str(info->params[0].name) + ":" + Str(info->params[0].type), "who:charp");
  EXPECT_EQ(Str(info->params[1].name) + ":" + Str(info->params[1].type), "answer:int");
  EXPECT_TRUE(info->depends.empty());

  ostd::Result<Layout> layout = LayOut(*elf);
  ASSERT_TRUE(layout.has_value());
  EXPECT_GT(layout->core.size, 0u);
  EXPECT_GT(layout->init.size, 0u);  // .init.text, .init.data
  FakeKernel k = HelloKernel();
  ostd::Result<LinkedModule> m = Link(*elf, *layout, kCoreBase, kInitBase, k);
  ASSERT_TRUE(m.has_value()) << ostd::ErrnoName(m.error());
  ASSERT_TRUE(m->init_fn.has_value());
  ASSERT_TRUE(m->exit_fn.has_value());
  EXPECT_GE(*m->init_fn, kInitBase);  // init_module is in .init.text
  EXPECT_LT(*m->init_fn, kInitBase + layout->init.size);
  EXPECT_GE(*m->exit_fn, kCoreBase);  // cleanup_module in .exit.text (core)
  EXPECT_LT(*m->exit_fn, kCoreBase + layout->core.size);
  EXPECT_TRUE(IsFunction(*m, *m->init_fn, Region::kInit));
  EXPECT_TRUE(IsFunction(*m, *m->exit_fn, Region::kCore));
  EXPECT_FALSE(IsFunction(*m, *m->exit_fn + 1, Region::kCore));
  // The export and the parameters, read back from the relocated image.
  ASSERT_EQ(m->exports.size(), 1u);
  EXPECT_EQ(Str(m->exports[0].name), "hello_answer");
  EXPECT_TRUE(IsFunction(*m, m->exports[0].address, Region::kCore));
  ASSERT_EQ(m->params.size(), 2u);
  const KernelParam& answer = m->params[Str(m->params[0].name) == "answer" ? 0 : 1];
  const KernelParam& who_param = m->params[Str(m->params[0].name) == "answer" ? 1 : 0];
  EXPECT_EQ(Str(answer.name), "answer");
  EXPECT_EQ(answer.ops, 0xffffffff82000000u);
  EXPECT_EQ(answer.perm, 0444);
  EXPECT_EQ(Str(who_param.name), "who");
  EXPECT_EQ(who_param.ops, 0xffffffff82000040u);
  // `answer` (int, 42) lives in the core data at its arg address.
  ASSERT_GE(answer.arg, kCoreBase);
  EXPECT_EQ(ReadLe(m->core.span(), answer.arg - kCoreBase, 4).value(), 42u);
  // `who` points at "world" in the core rodata.
  uint64_t who = ReadLe(m->core.span(), who_param.arg - kCoreBase, 8).value();
  EXPECT_EQ(Str(CString(m->core.span(), who - kCoreBase).value()), "world");
  // Seal plans are valid ExecRegion sections: no page both W and X.
  EXPECT_TRUE(klib::ValidateSections(layout->core.size, kModulePageSize, layout->core.sections)
                  .has_value());
  EXPECT_TRUE(klib::ValidateSections(layout->init.size, kModulePageSize, layout->init.sections)
                  .has_value());
}

// The parameter string applied to hello.ko's staged image, as insmod
// hello.ko answer=7 who=x would.
TEST(KoTest, HelloParameters) {
  std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  ostd::Result<ModuleElf> elf = ParseModuleElf(file);
  ASSERT_TRUE(elf.has_value());
  ostd::Result<Layout> layout = LayOut(*elf);
  ASSERT_TRUE(layout.has_value());
  // The loader reserves a string area at the end of the core data.
  const uint64_t area = layout->core.size;
  const uint64_t area_size = 64;
  layout->core.size += area_size;
  layout->core.sections[2].size += area_size;
  FakeKernel k = HelloKernel();
  ParamOpsAddresses ops{.int_ops = 0xffffffff82000000, .charp_ops = 0xffffffff82000040};
  auto apply = [&](const std::string& args) -> ostd::Result<LinkedModule> {
    OSTD_TRY_ASSIGN(LinkedModule m, Link(*elf, *layout, kCoreBase, kInitBase, k));
    std::span<const uint8_t> a(reinterpret_cast<const uint8_t*>(args.data()), args.size());
    OSTD_TRY(ApplyParams(m, a, ops, area, area_size));
    return m;
  };
  auto value_of = [&](const LinkedModule& m, const char* name, unsigned width) {
    for (const KernelParam& p : m.params) {
      if (Str(p.name) == name) return ReadLe(m.core.span(), p.arg - kCoreBase, width).value();
    }
    ADD_FAILURE() << name;
    return uint64_t{0};
  };
  ostd::Result<LinkedModule> m = apply("answer=7 who=x unknown=3 flag");
  ASSERT_TRUE(m.has_value()) << ostd::ErrnoName(m.error());
  EXPECT_EQ(value_of(*m, "answer", 4), 7u);
  uint64_t who = value_of(*m, "who", 8);
  EXPECT_EQ(who, kCoreBase + area);
  EXPECT_EQ(Str(CString(m->core.span(), who - kCoreBase).value()), "x");
  m = apply("  answer=-0x10   who=\"two words\" ");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(value_of(*m, "answer", 4), 0xfffffff0u);
  EXPECT_EQ(Str(CString(m->core.span(), value_of(*m, "who", 8) - kCoreBase).value()), "two words");
  m = apply("");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(value_of(*m, "answer", 4), 42u);  // the default stays
  EXPECT_EQ(apply("answer=abc").error(), Errno::kEINVAL);
  EXPECT_EQ(apply("answer").error(), Errno::kEINVAL);
  EXPECT_EQ(apply("answer=4294967296").error(), Errno::kERANGE);
  EXPECT_EQ(apply("who=" + std::string(area_size, 'y')).error(), Errno::kENOSPC);
  // Diagnostics for Linux's messages: the failing parameter, unknown names.
  {
    ostd::Result<LinkedModule> linked = Link(*elf, *layout, kCoreBase, kInitBase, k);
    ASSERT_TRUE(linked.has_value());
    std::string args = "x=1 answer=abc y";
    std::span<const uint8_t> a(reinterpret_cast<const uint8_t*>(args.data()), args.size());
    ParamDiagnostics diag;
    EXPECT_EQ(ApplyParams(*linked, a, ops, area, area_size, &diag).error(), Errno::kEINVAL);
    EXPECT_EQ(Str(diag.name), "answer");
    EXPECT_EQ(Str(diag.value), "abc");
    ASSERT_EQ(diag.unknown.size(), 1u);  // y comes after the failure
    EXPECT_EQ(Str(diag.unknown[0]), "x");
  }
  ops.charp_ops = 1;  // `who` has ops Keel does not know
  EXPECT_EQ(apply("who=x").error(), Errno::kEINVAL);
}

TEST(KoTest, UnknownSymbolIsEnoent) {
  std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  FakeKernel k = HelloKernel();
  k.known_.erase("param_ops_charp");
  std::span<const uint8_t> missing;
  ostd::Result<LinkedModule> m = Load(file, k, &missing);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), Errno::kENOENT);
  EXPECT_EQ(Str(missing), "param_ops_charp");
}

TEST(KoTest, DependentAndFailingModulesLink) {
  std::vector<uint8_t> dep = ReadFile(ModulePath("hello_dep.ko"));
  ostd::Result<ModuleElf> elf = ParseModuleElf(dep);
  ASSERT_TRUE(elf.has_value());
  ostd::Result<ModInfo> info = ParseModInfo(elf->Bytes(elf->modinfo));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(Str(info->depends), "hello");
  FakeKernel k = HelloKernel();
  EXPECT_EQ(Load(dep, k).error(), Errno::kENOENT);  // hello_answer: hello is not loaded
  k.Add("hello_answer", kCoreBase + 0x200000);
  EXPECT_TRUE(Load(dep, k).has_value());

  std::vector<uint8_t> fail = ReadFile(ModulePath("fail_init.ko"));
  ostd::Result<LinkedModule> m = Load(fail, k);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->init_fn.has_value());
  EXPECT_FALSE(m->exit_fn.has_value());  // no module_exit: cannot be unloaded (EBUSY)
}

TEST(KoTest, ModuleTooFarFromKernelOverflows) {
  std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  ostd::Result<ModuleElf> elf = ParseModuleElf(file);
  ASSERT_TRUE(elf.has_value());
  ostd::Result<Layout> layout = LayOut(*elf);
  ASSERT_TRUE(layout.has_value());
  FakeKernel k = HelloKernel();
  // Below the top 2 GiB: the 32S string addresses no longer fit.
  EXPECT_EQ(Link(*elf, *layout, 0xffffc90000000000, 0xffffc90000100000, k).error(),
            Errno::kENOEXEC);
  // In the top 2 GiB, but a kernel symbol more than 2 GiB away from the
  // PC32 call sites.
  k.Add("_printk", 0xffff888000000000);
  EXPECT_EQ(Link(*elf, *layout, kCoreBase, kInitBase, k).error(), Errno::kENOEXEC);
}

TEST(KoTest, SignedCopyLoadsAndBadTrailerIsEbadmsg) {
  std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  std::vector<uint8_t> sig = {0x30, 0x82, 0x01};  // a (fake) PKCS#7 blob
  file.insert(file.end(), sig.begin(), sig.end());
  std::vector<uint8_t> ms = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3};
  file.insert(file.end(), ms.begin(), ms.end());
  file.insert(file.end(), kSignatureMarker.begin(), kSignatureMarker.end());
  ostd::Result<Unsigned> u = StripSignature(file);
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->had_signature);
  FakeKernel k = HelloKernel();
  EXPECT_TRUE(Load(file, k).has_value());
  file[file.size() - kSignatureMarker.size() - 4] = 0x7f;  // sig_len (big-endian) too long
  EXPECT_EQ(Load(file, k).error(), Errno::kEBADMSG);
}

// Every byte of the ELF header, set to a few other values: a result or
// ENOEXEC/EINVAL, never a crash.
TEST(KoTest, CorruptedHeaderFields) {
  const std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  FakeKernel k = HelloKernel();
  // The identification and the fields Linux checks must be refused.
  struct Field {
    size_t off;
    uint8_t value;
  };
  for (Field f : std::vector<Field>{{0, 0},
                                    {1, 'e'},
                                    {3, 'G'},
                                    {4, 1},
                                    {5, 2},
                                    {6, 0},
                                    {16, 2},
                                    {17, 1},
                                    {18, 3},
                                    {19, 1},
                                    {20, 2},
                                    {40, 0xff},
                                    {47, 0x7f},
                                    {52, 0x40 + 1},
                                    {58, 0x38},
                                    {60, 0xff},
                                    {61, 0x10},
                                    {62, 0x7f},
                                    {63, 1}}) {
    std::vector<uint8_t> bad = file;
    bad[f.off] = f.value;
    ostd::Result<LinkedModule> m = Load(bad, k);
    EXPECT_FALSE(m.has_value()) << "offset " << f.off;
    if (!m.has_value()) EXPECT_EQ(m.error(), Errno::kENOEXEC) << "offset " << f.off;
  }
  for (size_t off = 0; off < kElfHeaderSize; ++off) {
    for (uint8_t v : {uint8_t{0}, uint8_t{1}, uint8_t{0x7f}, uint8_t{0xff}}) {
      std::vector<uint8_t> bad = file;
      bad[off] = v;
      ostd::Result<LinkedModule> m = Load(bad, k);
      if (!m.has_value()) {
        EXPECT_TRUE(m.error() == Errno::kENOEXEC || m.error() == Errno::kEINVAL ||
                    m.error() == Errno::kENOENT)
            << "offset " << off << ": " << ostd::ErrnoName(m.error());
      }
    }
  }
}

// Every field of every section header, set to values that break it (0,
// all ones, a large power of two, one past its value).
TEST(KoTest, CorruptedSectionHeaders) {
  const std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  ostd::Result<ModuleElf> elf = ParseModuleElf(file);
  ASSERT_TRUE(elf.has_value());
  uint64_t shoff = ReadLe(file, 40, 8).value();
  uint64_t shnum = elf->sections.size();
  FakeKernel k = HelloKernel();
  struct Field {
    unsigned off;
    unsigned width;
  };
  // name, type, flags, addr, offset, size, link, info, addralign, entsize
  const std::vector<Field> fields = {{0, 4},  {4, 4},  {8, 8},  {16, 8}, {24, 8},
                                     {32, 8}, {40, 4}, {44, 4}, {48, 8}, {56, 8}};
  int refused = 0;
  for (uint64_t i = 0; i < shnum; ++i) {
    for (Field f : fields) {
      uint64_t at = shoff + i * kSectionHeaderSize + f.off;
      uint64_t old = ReadLe(file, at, f.width).value();
      uint64_t ones = f.width == 8 ? ~uint64_t{0} : 0xffffffffu;
      for (uint64_t v : {uint64_t{0}, ones, uint64_t{1} << (f.width * 8 - 1), old + 1}) {
        if (v == old) continue;
        std::vector<uint8_t> bad = file;
        ASSERT_TRUE(WriteLe(bad, at, f.width, v).has_value());
        ostd::Result<LinkedModule> m = Load(bad, k);
        if (!m.has_value()) {
          ++refused;
          EXPECT_TRUE(m.error() == Errno::kENOEXEC || m.error() == Errno::kENOENT ||
                      m.error() == Errno::kENOMEM)
              << "section " << i << " field " << f.off << ": " << ostd::ErrnoName(m.error());
        }
      }
    }
  }
  EXPECT_GT(refused, 300);
}

TEST(KoTest, TruncatedImages) {
  const std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  FakeKernel k = HelloKernel();
  for (size_t len = 0; len < file.size(); len += (len < 4096 ? 1 : 97)) {
    ostd::Result<LinkedModule> m = Load(std::span<const uint8_t>(file).first(len), k);
    ASSERT_FALSE(m.has_value()) << len;
    EXPECT_EQ(m.error(), Errno::kENOEXEC) << len;
  }
}

// Rewrites each relocation of .rela.text, .rela.init.text, ... in turn: a
// bad type, a symbol index out of range, an offset past the section, a huge
// addend (overflow).
TEST(KoTest, CorruptedRelocations) {
  const std::vector<uint8_t> file = ReadFile(ModulePath("hello.ko"));
  ostd::Result<ModuleElf> elf = ParseModuleElf(file);
  ASSERT_TRUE(elf.has_value());
  FakeKernel k = HelloKernel();
  int checked = 0;
  for (uint32_t i = 1; i < elf->sections.size(); ++i) {
    const SectionHeader& s = elf->sections[i];
    if (s.type != kShtRela) continue;
    const SectionHeader& target = elf->sections[s.info];
    bool loaded = (target.flags & kShfAlloc) != 0 &&
                  ActionFor(target.name) == SectionAction::kLoad &&
                  !BytesEqual(target.name, "__versions") && !BytesEqual(target.name, ".modinfo");
    for (uint64_t r = s.offset; r < s.offset + s.size; r += kRelaSize) {
      uint64_t info = ReadLe(file, r + 8, 8).value();
      uint32_t type = static_cast<uint32_t>(info);
      auto with = [&](uint64_t at, uint64_t value) {
        std::vector<uint8_t> bad = file;
        EXPECT_TRUE(WriteLe(bad, at, 8, value).has_value());
        return Load(bad, k);
      };
      if (!loaded) {
        // Skipped entirely: even a bad type does not matter.
        EXPECT_TRUE(with(r + 8, (info & ~0xffffffffull) | 0x33).has_value()) << Str(s.name);
        continue;
      }
      ++checked;
      EXPECT_EQ(with(r + 8, (info & ~0xffffffffull) | 0x33).error(), Errno::kENOEXEC);
      EXPECT_EQ(with(r + 8, (uint64_t{0xfffffff} << 32) | type).error(), Errno::kENOEXEC);
      EXPECT_EQ(with(r, target.size).error(), Errno::kENOEXEC);
      if (type == kRPc32 || type == kRPlt32 || type == kR32S || type == kR32) {
        EXPECT_EQ(with(r + 16, uint64_t{1} << 40).error(), Errno::kENOEXEC) << "overflow";
      }
    }
  }
  EXPECT_GT(checked, 20);
}

// Debian's own modules (linux-image-amd64): all parse and lay out; every
// one links against a kernel that exports every name, except the ones the
// layout refuses on purpose (per-CPU data, ...), which are counted. Every
// 8th module by path (about 500; all 4023 of 6.1.0-57 take ~2 minutes
// unoptimized): --test_env=KEEL_KO_TEST_ALL=1 runs them all.
TEST(KoTest, DebianInTreeModules) {
  std::filesystem::path root = "/lib/modules";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no /lib/modules (linux-image-amd64)";
  FakeKernel all(true);
  const bool every = std::getenv("KEEL_KO_TEST_ALL") != nullptr;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.path().extension() == ".ko") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  int linked = 0;
  std::map<std::string, int> refused;
  for (size_t n = 0; n < paths.size(); n += every ? 1 : 8) {
    const std::filesystem::path& path = paths[n];
    std::vector<uint8_t> file = ReadFile(path);
    ostd::Result<Unsigned> u = StripSignature(file);
    ASSERT_TRUE(u.has_value()) << path;
    ostd::Result<ModuleElf> elf = ParseModuleElf(u->payload);
    ASSERT_TRUE(elf.has_value()) << path;
    ASSERT_TRUE(ParseModInfo(elf->Bytes(elf->modinfo)).has_value()) << path;
    ostd::Result<Layout> layout = LayOut(*elf);
    if (!layout.has_value()) {
      std::string why = "?";
      for (uint32_t i = 1; i < elf->sections.size(); ++i) {
        const SectionHeader& s = elf->sections[i];
        if ((s.flags & kShfAlloc) != 0 && i != elf->modinfo && i != elf->versions &&
            ActionFor(s.name) == SectionAction::kRefuse) {
          why = Str(s.name);
        }
      }
      ++refused[why];
      continue;
    }
    ostd::Result<LinkedModule> m = Link(*elf, *layout, kCoreBase, kInitBase, all);
    ASSERT_TRUE(m.has_value()) << path << ": " << ostd::ErrnoName(m.error());
    ++linked;
  }
  std::string summary;
  for (const auto& [name, n] : refused) summary += " " + name + ":" + std::to_string(n);
  std::printf("Debian modules: %d of %zu tried linked, refused by section:%s\n", linked,
              (paths.size() + (every ? 0 : 7)) / (every ? 1 : 8), summary.c_str());
  EXPECT_GT(linked * 100, static_cast<int>(paths.size() / (every ? 1 : 8)) * 95);
}

}  // namespace
}  // namespace kernel::module
