// Finds the instructions that would raise a #VE in a TD (port I/O, rdmsr,
// wrmsr, hlt, wbinvd, monitor/mwait) in every function of linked kernel
// ELFs (the tdx_sim ktest image and //kernel:keel), by decoding each function with
// ostd/patch/insn. Fails if one sits on the TDX path itself (the functions
// of namespace ostd::tdx), other than the simulated host VMM (NativeVmm,
// which plays the hypervisor and must execute them) and the ktests (which
// execute them after `int $0x14` on purpose). Prints every other site (but
// NativePlatform, the seam's native side, which is never used in a TD): the
// privileged operations that still bypass the platform seam and would each
// take a #VE in a real TD (docs/tdx.md, "What remains").
#include <cstdio>
#include <map>
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
    for (uint64_t at = 0; at < body.size();) {
      Result<patch::Insn> insn = patch::DecodeInsn(body.subspan(at));
      if (!insn.has_value()) {
        ++undecodable;
        break;
      }
      if (const char* m = VeInstruction(*insn, body.subspan(at))) {
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
    std::printf("not on the seam yet: %s:%s\n", name.c_str(), list.c_str());
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
