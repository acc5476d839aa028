// Finds the instructions that would raise a #VE in a TD (port I/O, rdmsr,
// wrmsr, hlt, wbinvd, monitor/mwait) in every function of linked kernel
// ELFs (the tdx_sim ktest image and //kernel:keel), by decoding each function with
// ostd/patch/insn. Fails if one sits on the TDX path itself (the functions
// of namespace ostd::tdx), other than the simulated host VMM (NativeVmm,
// which plays the hypervisor and must execute them) and the ktests (which
// execute them after `int $0x14` on purpose). Fails on every other site too
// (but NativePlatform, the seam's native side, which is never used in a TD):
// a privileged operation that bypasses the platform seam would take a #VE in
// a real TD. MSRs a TD accesses without a #VE (NativeInTd, NativeReadInTd)
// are recognised by the `mov $msr, %ecx` before the access.
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "ostd/patch/insn.h"
#include "tools/elf/elf_functions.h"

namespace ostd::tdx {
namespace {

std::vector<std::string> elf_paths;

using Function = tools::elf::ElfFunction;
using tools::elf::ElfFunctions;
using tools::elf::ReadFileBytes;

// The mnemonic if `insn` (at the start of `code`) always raises #VE in a TD.
const char* VeInstruction(const patch::Insn& insn, std::span<const uint8_t> code) {
  if (insn.map == 0) {
    switch (insn.opcode) {
      case 0xe4:
      case 0xe5:
      case 0xec:
      case 0xed:
        return "in";
      case 0xe6:
      case 0xe7:
      case 0xee:
      case 0xef:
        return "out";
      case 0x6c:
      case 0x6d:
        return "ins";
      case 0x6e:
      case 0x6f:
        return "outs";
      case 0xf4:
        return "hlt";
      default:
        return nullptr;
    }
  }
  if (insn.map == 1) {
    if (insn.opcode == 0x30) return "wrmsr";
    if (insn.opcode == 0x32) return "rdmsr";
    if (insn.opcode == 0x09) return "wbinvd";
    if (insn.opcode == 0x01 && insn.has_modrm && (insn.modrm == 0xc8 || insn.modrm == 0xc9)) {
      return "monitor/mwait";
    }
  }
  static_cast<void>(code);
  return nullptr;
}

bool Contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// The MSR number `insn` loads into ECX, if it is `mov $imm32, %ecx` (B9 id,
// no REX.B or REX.W).
std::optional<uint32_t> MsrNumberLoad(const patch::Insn& insn, std::span<const uint8_t> code) {
  if (insn.map != 0 || insn.opcode != 0xb9 || (insn.rex & 0x9) != 0 || insn.imm_size != 4) {
    return std::nullopt;
  }
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | code[insn.imm_offset + i];
  return v;
}

// MSRs the TDX module context-switches for the TD itself, so rdmsr and
// wrmsr of them complete without a #VE: the FS, GS and kernel GS bases, the
// syscall MSRs and TSC_AUX (Linux writes them with plain wrmsr in a TD).
bool NativeInTd(uint32_t msr) {
  switch (msr) {
    case 0xc0000081:  // STAR
    case 0xc0000082:  // LSTAR
    case 0xc0000083:  // CSTAR
    case 0xc0000084:  // FMASK
    case 0xc0000100:  // FS_BASE
    case 0xc0000101:  // GS_BASE
    case 0xc0000102:  // KERNEL_GS_BASE
    case 0xc0000103:  // TSC_AUX
    // The x2APIC registers the CPU virtualizes for a TD (TdxPlatform sends
    // ID, SVR and ICR to the host): TPR, EOI, the timer and SELF_IPI.
    case 0x808:
    case 0x80b:
    case 0x832:
    case 0x838:
    case 0x839:
    case 0x83e:
    case 0x83f:
      return true;
    default:
      return false;
  }
}

// MSRs a TD reads without a #VE but cannot write: EFER (the TDX module sets
// LME, LMA, NXE and SCE; Linux's boot reads it and writes only if a bit is
// missing).
bool NativeReadInTd(uint32_t msr) { return msr == 0xc0000080; }

TEST(TdxPathScan, Classifies) {
  auto m = [](std::vector<uint8_t> b) -> std::string {
    Result<patch::Insn> i = patch::DecodeInsn(b);
    if (!i.has_value()) return "?";
    const char* r = VeInstruction(*i, b);
    return r == nullptr ? "" : r;
  };
  EXPECT_EQ(m({0xee}), "out");         // out %al,(%dx)
  EXPECT_EQ(m({0xe4, 0x60}), "in");    // in $0x60,%al
  EXPECT_EQ(m({0x66, 0xed}), "in");    // in (%dx),%ax
  EXPECT_EQ(m({0xf3, 0x6e}), "outs");  // rep outsb
  EXPECT_EQ(m({0x0f, 0x32}), "rdmsr");
  EXPECT_EQ(m({0x0f, 0x30}), "wrmsr");
  EXPECT_EQ(m({0xf4}), "hlt");
  EXPECT_EQ(m({0x0f, 0x09}), "wbinvd");
  EXPECT_EQ(m({0x0f, 0x01, 0xc9}), "monitor/mwait");
  EXPECT_EQ(m({0x0f, 0xa2}), "");        // cpuid: the TDX module answers most leaves
  EXPECT_EQ(m({0x0f, 0x01, 0xcc}), "");  // tdcall itself
  EXPECT_EQ(m({0x89, 0x08}), "");
}

TEST(TdxPathScan, KnowsTheMsrsTheModuleVirtualizes) {
  auto load = [](std::vector<uint8_t> b) -> std::optional<uint32_t> {
    Result<patch::Insn> i = patch::DecodeInsn(b);
    if (!i.has_value()) return std::nullopt;
    return MsrNumberLoad(*i, b);
  };
  EXPECT_EQ(load({0xb9, 0x00, 0x01, 0x00, 0xc0}), 0xc0000100u);         // mov $0xc0000100,%ecx
  EXPECT_EQ(load({0x41, 0xb9, 0x00, 0x01, 0x00, 0xc0}), std::nullopt);  // mov ...,%r9d
  EXPECT_EQ(load({0xb8, 0x00, 0x01, 0x00, 0xc0}), std::nullopt);        // mov ...,%eax
  EXPECT_TRUE(NativeInTd(0xc0000100));
  EXPECT_TRUE(NativeInTd(0xc0000082));
  EXPECT_FALSE(NativeInTd(0x1b));        // APIC_BASE: #VE
  EXPECT_FALSE(NativeInTd(0xc0000080));  // EFER: a read only
  EXPECT_TRUE(NativeReadInTd(0xc0000080));
  EXPECT_TRUE(NativeInTd(0x80b));   // x2APIC EOI: the CPU's
  EXPECT_FALSE(NativeInTd(0x830));  // x2APIC ICR: the host's
  EXPECT_FALSE(NativeInTd(0x802));  // x2APIC ID: the host's
}

// How many instructions after `mov $msr, %ecx` an rdmsr or wrmsr is taken
// to use that number (compilers put the load right before the access; an
// unknown number counts as raising #VE).
constexpr int kMsrWindow = 4;

void Scan(const std::string& elf_path, int min_tdx_functions) {
  std::printf("== %s\n", elf_path.c_str());
  std::vector<uint8_t> elf = ReadFileBytes(elf_path);
  ASSERT_GT(elf.size(), 64u);
  std::vector<Function> fns = ElfFunctions(elf);
  ASSERT_GT(fns.size(), 100u);

  std::map<std::string, std::vector<std::string>> elsewhere;  // function -> mnemonics
  int tdx_path_functions = 0;
  int undecodable = 0;
  for (const Function& f : fns) {
    std::span<const uint8_t> body(elf.data() + f.file_offset, f.size);
    // Mangled names: "N4ostd3tdx" is namespace ostd::tdx.
    bool tdx_path = Contains(f.name, "N4ostd3tdx");
    bool allowed =
        Contains(f.name, "NativeVmm") || Contains(f.name, "Ktest") || Contains(f.name, "Inject");
    if (tdx_path && !allowed) ++tdx_path_functions;
    // The MSR number the last few instructions put in ECX, if known.
    std::optional<uint32_t> ecx;
    int since_ecx = 0;
    for (uint64_t at = 0; at < body.size();) {
      Result<patch::Insn> insn = patch::DecodeInsn(body.subspan(at));
      if (!insn.has_value()) {
        ++undecodable;
        break;
      }
      if (std::optional<uint32_t> msr = MsrNumberLoad(*insn, body.subspan(at))) {
        ecx = msr;
        since_ecx = 0;
      } else if (++since_ecx > kMsrWindow) {
        ecx.reset();
      }
      const char* m = VeInstruction(*insn, body.subspan(at));
      bool msr_access = insn->map == 1 && (insn->opcode == 0x30 || insn->opcode == 0x32);
      if (m != nullptr && msr_access && ecx.has_value() &&
          (NativeInTd(*ecx) || (insn->opcode == 0x32 && NativeReadInTd(*ecx)))) {
        m = nullptr;
      }
      if (m != nullptr) {
        if (tdx_path && !allowed) {
          ADD_FAILURE() << f.name << "+" << at << ": " << m
                        << " on the TDX path (use TdxGuest / TdxPlatform)";
        } else if (!tdx_path && !Contains(f.name, "NativePlatform") && !Contains(f.name, "Ktest")) {
          elsewhere[f.name].push_back(m);
        }
      }
      at += insn->length;
    }
  }
  EXPECT_GE(tdx_path_functions, min_tdx_functions);  // the scan saw the TDX code
  EXPECT_EQ(undecodable, 0);
  int sites = 0;
  for (const auto& [name, ms] : elsewhere) {
    sites += static_cast<int>(ms.size());
    std::string list;
    for (const std::string& m : ms) list += " " + m;
    ADD_FAILURE() << name << ":" << list
                  << " bypasses the platform seam (use platform::Current(); docs/tdx.md)";
  }
  std::printf("%d instructions in %zu functions outside ostd::tdx would raise #VE in a TD\n", sites,
              elsewhere.size());
}

// argv: the tdx_sim ktest image (all of ostd/tdx), then //kernel:keel (the
// whole kernel with its drivers, which links only the seam's TDX-free parts).
TEST(TdxPathScan, NoDirectPrivilegedInstructionOnTheTdxPath) {
  ASSERT_EQ(elf_paths.size(), 2u);
  Scan(elf_paths[0], 20);
  Scan(elf_paths[1], 1);
}

}  // namespace
}  // namespace ostd::tdx

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) ostd::tdx::elf_paths.push_back(argv[i]);
  return RUN_ALL_TESTS();
}
