// Checks the instruction decoder against llvm-objdump-19 over every function
// of a linked kernel ELF (argv[1], e.g. //kernel:keel): for each FUNC symbol
// with a size in an executable section, decoding forward from its start must
// find exactly objdump's instruction boundaries and end exactly at the
// symbol's end; relative branches must reach objdump's targets, and the
// RIP-relative, ret, call and jmp classifications must agree with objdump's
// text.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "ostd/patch/insn.h"
#include "tools/elf/elf_functions.h"

namespace ostd::patch {
namespace {

std::string elf_path;

using Function = tools::elf::ElfFunction;
using tools::elf::ElfFunctions;
using tools::elf::ReadFileBytes;

bool IsPrefix(const std::string& t) {
  return t == "rep" || t == "repe" || t == "repne" || t == "repz" || t == "repnz" ||
         t == "notrack" || t == "bnd" || t == "lock" || t == "data16" || t == "cs" || t == "ds" ||
         t == "es" || t == "ss" || t == "fs" || t == "gs";
}

// objdump's instructions: address -> the text after the address.
std::map<uint64_t, std::string> Objdump(const std::string& path) {
  std::map<uint64_t, std::string> out;
  std::string cmd = "llvm-objdump-19 -d --no-show-raw-insn '" + path + "'";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char line[4096];
  bool pending_prefix = false;
  uint64_t prefix_addr = 0, prefix_len = 0;
  std::string prefix_text;
  while (fgets(line, sizeof(line), f) != nullptr) {
    char* p = line;
    while (*p == ' ') ++p;
    char* end = nullptr;
    uint64_t addr = strtoull(p, &end, 16);
    if (end == p || *end != ':') continue;  // headers, "<sym>:" labels, blank lines
    std::string text(end + 1);
    size_t first = text.find_first_not_of(" \t");
    text = first == std::string::npos ? "" : text.substr(first);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    // llvm-objdump prints a lone prefix (e.g. "lock") as a line of its own,
    // followed by the rest of the instruction: join them.
    if (pending_prefix && addr == prefix_addr + prefix_len) {
      out[prefix_addr] = prefix_text + " " + text;
      pending_prefix = false;
      continue;
    }
    pending_prefix = false;
    if (IsPrefix(text)) {
      pending_prefix = true;
      prefix_addr = addr;
      prefix_text = text;
      prefix_len = 1;
      continue;
    }
    out[addr] = text;
  }
  if (pending_prefix) out[prefix_addr] = prefix_text;
  EXPECT_EQ(pclose(f), 0) << cmd;
  return out;
}

// Splits objdump's text into the mnemonic (prefixes skipped, AT&T q suffix
// of call/jmp/ret dropped) and the operands.
void Split(const std::string& text, std::string& mnemonic, std::string& operands) {
  size_t pos = 0;
  mnemonic.clear();
  operands.clear();
  while (pos < text.size()) {
    size_t start = text.find_first_not_of(" \t", pos);
    if (start == std::string::npos) return;
    size_t end = text.find_first_of(" \t", start);
    std::string token =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!token.empty() && token.back() == ';') token.pop_back();
    pos = end == std::string::npos ? text.size() : end;
    if (IsPrefix(token)) continue;
    mnemonic = token;
    size_t rest = text.find_first_not_of(" \t", pos);
    if (rest != std::string::npos) operands = text.substr(rest);
    break;
  }
  if (mnemonic == "callq" || mnemonic == "jmpq" || mnemonic == "retq") mnemonic.pop_back();
}

TEST(InsnObjdump, AgreesOnEveryFunctionOfTheKernel) {
  ASSERT_FALSE(elf_path.empty()) << "usage: insn_objdump_test KERNEL.elf";
  std::vector<uint8_t> elf = ReadFileBytes(elf_path);
  ASSERT_FALSE(elf.empty()) << elf_path;
  std::vector<Function> functions = ElfFunctions(elf);
  std::map<uint64_t, std::string> dis = Objdump(elf_path);
  ASSERT_GT(functions.size(), 1000u) << "too few functions: not a kernel image?";
  ASSERT_GT(dis.size(), 50000u);

  uint64_t insns = 0, rip_rel = 0, branches = 0, failures = 0;
  for (const Function& fn : functions) {
    std::span<const uint8_t> bytes(elf.data() + fn.file_offset, fn.size);
    std::vector<uint64_t> ours;
    uint64_t at = 0;
    bool ok = true;
    while (at < fn.size) {
      Result<Insn> insn = DecodeInsn(bytes.subspan(at));
      uint64_t addr = fn.address + at;
      auto it = dis.find(addr);
      std::string text = it == dis.end() ? "(no objdump instruction here)" : it->second;
      if (!insn) {
        ADD_FAILURE() << fn.name << "+" << std::hex << at << " (" << addr << "): decoder says "
                      << ErrnoName(insn.error()) << ", objdump: " << text;
        ok = false;
        break;
      }
      ours.push_back(addr);
      ++insns;
      std::string mn, ops;
      Split(text, mn, ops);
      bool objdump_rip = text.find("(%rip)") != std::string::npos;
      if (insn->rip_relative != objdump_rip) {
        ADD_FAILURE() << fn.name << " at " << std::hex << addr << ": rip_relative "
                      << insn->rip_relative << " vs objdump: " << text;
        ok = false;
      }
      if (insn->rip_relative) ++rip_rel;
      bool direct = !ops.empty() && ops[0] != '*';
      bool is_jmp = mn == "jmp" && direct;
      bool is_call = mn == "call" && direct;
      bool is_loop = mn.rfind("loop", 0) == 0 || mn == "jrcxz" || mn == "jecxz";
      bool is_jcc = !is_loop && mn.size() > 1 && mn[0] == 'j' && mn != "jmp" && direct;
      bool is_ret = mn == "ret";
      if ((insn->kind == InsnKind::kJmpRel) != is_jmp ||
          (insn->kind == InsnKind::kCallRel) != is_call ||
          (insn->kind == InsnKind::kJccRel) != is_jcc ||
          (insn->kind == InsnKind::kLoopRel) != is_loop ||
          (insn->kind == InsnKind::kRet) != is_ret) {
        ADD_FAILURE() << fn.name << " at " << std::hex << addr << ": kind "
                      << static_cast<int>(insn->kind) << " vs objdump: " << text;
        ok = false;
      }
      if (is_jmp || is_call || is_jcc || is_loop) {
        ++branches;
        uint64_t target = addr + insn->length + static_cast<int64_t>(insn->rel);
        uint64_t theirs = strtoull(ops.c_str(), nullptr, 16);
        if (target != theirs) {
          ADD_FAILURE() << fn.name << " at " << std::hex << addr << ": target " << target
                        << " vs objdump: " << text;
          ok = false;
        }
      }
      at += insn->length;
    }
    if (ok && at != fn.size) {
      ADD_FAILURE() << fn.name << ": decoding ran " << (at - fn.size) << " bytes past the end";
      ok = false;
    }
    std::vector<uint64_t> theirs;
    for (auto it = dis.lower_bound(fn.address); it != dis.end() && it->first < fn.address + fn.size;
         ++it) {
      theirs.push_back(it->first);
    }
    if (ok && ours != theirs) {
      ADD_FAILURE() << fn.name << ": " << ours.size() << " boundaries, objdump has "
                    << theirs.size();
      ok = false;
    }
    if (!ok && ++failures > 20) {
      FAIL() << "stopping after 20 functions that disagree";
    }
  }
  EXPECT_EQ(failures, 0u);
  EXPECT_GT(rip_rel, 100u);
  EXPECT_GT(branches, 1000u);
  printf("checked %zu functions, %llu instructions (%llu RIP-relative, %llu branches)\n",
         functions.size(), static_cast<unsigned long long>(insns),
         static_cast<unsigned long long>(rip_rel), static_cast<unsigned long long>(branches));
}

}  // namespace
}  // namespace ostd::patch

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc > 1) ostd::patch::elf_path = argv[1];
  return RUN_ALL_TESTS();
}
