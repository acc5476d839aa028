#include "kernel/module/layout.h"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/module/bytes.h"
#include "kernel/module/elf_module.h"
#include "ostd/result.h"

namespace kernel::module {
namespace {

using ostd::Errno;

struct SpecialSection {
  std::string_view name;
  bool prefix;  // name is a prefix ("x." matches "x.anything")
  SectionAction action;
  // Why, for the reader (and the table in docs/safety.md); not used at run time.
  std::string_view reason;
};

// Checked in order; the first match wins.
constexpr std::array<SpecialSection, 38> kSpecialSections = {{
    // Refused: the module would misbehave without Linux's setup of them.
    {".data..percpu", false, SectionAction::kRefuse,
     "per-CPU variables need one copy per CPU: Keel has no per-CPU module memory"},
    {"___srcu_struct_ptrs", false, SectionAction::kRefuse,
     "Linux initializes these SRCU structs at load; Keel has no SRCU"},
    {".kunit_test_suites", false, SectionAction::kRefuse, "KUnit suites are run by Linux's KUnit"},
    // Ignored: metadata Linux uses to patch or describe code that is
    // correct unpatched.
    {".altinstructions", false, SectionAction::kIgnore,
     "alternatives are not applied: the original instructions are the generic "
     "code that runs on every x86_64 CPU"},
    {".altinstr_replacement", false, SectionAction::kIgnore,
     "replacement code only .altinstructions refers to (not applied)"},
    {".retpoline_sites", false, SectionAction::kIgnore,
     "calls through __x86_indirect_thunk_* stay: Keel exports the thunks"},
    {".return_sites", false, SectionAction::kIgnore,
     "jumps to __x86_return_thunk stay: Keel exports the thunk (ret)"},
    {".call_sites", false, SectionAction::kIgnore, "call depth tracking is not used"},
    {".ibt_endbr_seal", false, SectionAction::kIgnore, "Keel does not enable IBT"},
    {".smp_locks", false, SectionAction::kIgnore,
     "lock prefixes stay: Linux only removes them on a uniprocessor"},
    {".parainstructions", false, SectionAction::kIgnore,
     "paravirt sites stay indirect calls through pv_ops, which Keel does not export (ENOENT)"},
    {"__mcount_loc", false, SectionAction::kIgnore,
     "the __fentry__ calls stay: Keel's __fentry__ returns at once"},
    {"__patchable_function_entries", false, SectionAction::kIgnore,
     "the NOP pads stay NOPs: Keel does not trace module functions"},
    {".orc_unwind", false, SectionAction::kIgnore, "Keel does not unwind module frames"},
    {".orc_unwind_ip", false, SectionAction::kIgnore, "Keel does not unwind module frames"},
    {".orc_header", false, SectionAction::kIgnore, "Keel does not unwind module frames"},
    {"__bug_table", false, SectionAction::kIgnore,
     "BUG()/WARN() sites: a ud2 in module code is a fatal invalid-opcode trap in Keel"},
    {"__ex_table", false, SectionAction::kIgnore,
     "no fault fixups for module code: a fault in it is a kernel fault (Keel exports no "
     "user-copy helpers that would need one)"},
    {"__jump_table", false, SectionAction::kIgnore,
     "static branches keep their compiled initial state: Keel never toggles a key and "
     "exports none"},
    {".static_call_sites", false, SectionAction::kIgnore,
     "static calls stay calls to their trampolines (the module's own are loaded; the "
     "kernel's are not exported: ENOENT)"},
    {".kcfi_traps", false, SectionAction::kIgnore, "Keel does not report CFI traps"},
    // Loaded as plain text or data; Linux registers them, Keel does not.
    {"__tracepoints", true, SectionAction::kLoad,
     "tracepoints stay disabled: Keel has no tracing (their static keys stay off)"},
    {"__tracepoint_str", false, SectionAction::kLoad, "tracing strings (see __tracepoints)"},
    {"_ftrace_events", false, SectionAction::kLoad, "never registered: Keel has no ftrace"},
    {"_ftrace_eval_map", false, SectionAction::kLoad, "never registered: Keel has no ftrace"},
    {"__bpf_raw_tp_map", false, SectionAction::kLoad, "never registered: Keel has no BPF"},
    {"__dyndbg", true, SectionAction::kLoad,
     "dynamic-debug descriptors, never registered: pr_debug sites stay off"},
    {".BTF_ids", false, SectionAction::kLoad, "BTF id lists the module's code reads"},
    {".static_call.text", false, SectionAction::kLoad, "the module's own static-call trampolines"},
    {".altinstr_aux", false, SectionAction::kLoad, "code the unpatched static_cpu_has() jumps to"},
    {".gnu.linkonce.this_module", false, SectionAction::kLoad,
     "struct module: data the module refers to as THIS_MODULE"},
    {"__param", false, SectionAction::kLoad, "struct kernel_param array: parameters"},
    {"__ksymtab", true, SectionAction::kLoad, "exports (also _gpl and _strings)"},
    {"__kcrctab", true, SectionAction::kLoad, "export CRCs (not checked: modversions)"},
    {".note.", true, SectionAction::kLoad, "notes (build id, Linux notes): read-only data"},
    {".ref.", true, SectionAction::kLoad, "ordinary code and data with section-check exemptions"},
    {".noinstr.text", false, SectionAction::kLoad, "ordinary code"},
    {".sched.text", false, SectionAction::kLoad, "ordinary code"},
}};

// Ordinary sections: laid out by their flags.
constexpr std::array<std::string_view, 10> kOrdinaryPrefixes = {
    ".text",  ".rodata", ".data", ".bss",   ".init.",
    ".exit.", ".init",   ".exit", ".ltext", ".lrodata"};

bool Matches(std::span<const uint8_t> name, std::string_view pattern, bool prefix) {
  return prefix ? BytesStartWith(name, pattern) : BytesEqual(name, pattern);
}

// `.text`, `.text.x`, `.text..x`: the prefix followed by nothing or a dot.
bool OrdinaryMatch(std::span<const uint8_t> name, std::string_view prefix) {
  if (!BytesStartWith(name, prefix)) return false;
  if (name.size() == prefix.size() || prefix.back() == '.') return true;
  return name[prefix.size()] == '.';
}

constexpr uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

enum Group : uint8_t { kText = 0, kRodata = 1, kData = 2 };

}  // namespace

SectionAction ActionFor(std::span<const uint8_t> name) {
  for (const SpecialSection& s : kSpecialSections) {
    if (Matches(name, s.name, s.prefix)) return s.action;
  }
  for (std::string_view p : kOrdinaryPrefixes) {
    if (OrdinaryMatch(name, p)) return SectionAction::kLoad;
  }
  return SectionAction::kRefuse;
}

ostd::Result<Layout> LayOut(const ModuleElf& elf) {
  Layout layout;
  const uint64_t n = elf.sections.size();
  if (!layout.placements.Resize(n).has_value()) return ostd::Err(Errno::kENOMEM);

  // Which group each loaded section belongs to.
  for (uint32_t i = 1; i < n; ++i) {
    const SectionHeader& s = elf.sections[i];
    if ((s.flags & kShfAlloc) == 0 || i == elf.modinfo || i == elf.versions) continue;
    switch (ActionFor(s.name)) {
      case SectionAction::kRefuse:
        return ostd::Err(Errno::kENOEXEC);
      case SectionAction::kIgnore:
        continue;
      case SectionAction::kLoad:
        break;
    }
    if ((s.flags & kShfWrite) != 0 && (s.flags & kShfExecinstr) != 0) {
      return ostd::Err(Errno::kENOEXEC);  // never writable and executable
    }
    if (s.type != kShtProgbits && s.type != kShtNobits && s.type != kShtNote &&
        s.type != kShtInitArray && s.type != kShtFiniArray) {
      return ostd::Err(Errno::kENOEXEC);
    }
    layout.placements[i].region = BytesStartWith(s.name, ".init") ? Region::kInit : Region::kCore;
  }

  for (Region r : {Region::kCore, Region::kInit}) {
    RegionPlan& plan = r == Region::kCore ? layout.core : layout.init;
    uint64_t offset = 0;
    for (uint8_t g = kText; g <= kData; ++g) {
      offset = AlignUp(offset, kModulePageSize);
      uint64_t start = offset;
      for (uint32_t i = 1; i < n; ++i) {
        const SectionHeader& s = elf.sections[i];
        if (layout.placements[i].region != r) continue;
        uint8_t group = (s.flags & kShfExecinstr) != 0 ? kText
                        : (s.flags & kShfWrite) != 0   ? kData
                                                       : kRodata;
        if (group != g) continue;
        uint64_t align = s.addralign == 0 ? 1 : s.addralign;
        offset = AlignUp(offset, align);
        if (s.size > kMaxRegionSize || offset > kMaxRegionSize) {
          return ostd::Err(Errno::kENOMEM);  // also keeps every sum below exact
        }
        layout.placements[i].offset = offset;
        offset += s.size;
      }
      plan.sections[g] = klib::Section{
          .offset = start,
          .size = offset - start,
          .kind = g == kText     ? klib::SectionKind::kText
                  : g == kRodata ? klib::SectionKind::kRodata
                                 : klib::SectionKind::kData,
      };
    }
    if (offset > kMaxRegionSize) return ostd::Err(Errno::kENOMEM);
    plan.size = offset;
  }
  return layout;
}

}  // namespace kernel::module
