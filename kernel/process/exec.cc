#include "kernel/process/exec.h"

#include <algorithm>
#include <array>
#include <optional>

#include "kernel/exec/elf.h"
#include "kernel/exec/stack.h"
#include "kernel/process/fs_glue.h"
#include "kernel/process/futex.h"
#include "kernel/process/process.h"
#include "kernel/process/vdso.h"
#include "ostd/cpu.h"
#include "ostd/log.h"
#include "ostd/mm/page_table_index.h"
#include "ostd/task/task.h"
#include "ostd/util/box.h"
#include "ostd/util/vec.h"
#include "ostd/vm/vm_io.h"
#include "ostd/vm/vm_space.h"

namespace kernel {
namespace {

using ostd::Err;
using ostd::Errno;
using ostd::Result;
using ostd::Status;
using ostd::mm::AlignDown;
using ostd::mm::AlignUp;

// Linux 6.1 (exec_binprm) runs at most six binary handlers per execve: five
// "#!" levels and the program.
constexpr int kMaxScriptDepth = 5;

// Reads [0, len) of the file into `out` through its pages.
Status ReadHead(PageSource& file, uint64_t len, ostd::Vec<uint8_t>& out) {
  len = std::min(len, file.Size());
  OSTD_TRY(out.Resize(len));
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(out.span());
  for (uint64_t index = 0; w.has_avail(); ++index) {
    OSTD_TRY_ASSIGN(ostd::mm::UFrame page, file.GetPage(index, false));
    auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromFrame(page);
    r.ReadTo(w);
  }
  return {};
}

// Reads the file's bytes [off, off + len) into `out` (len <= the file's size
// minus off, checked by the ELF parser).
Status ReadRange(PageSource& file, uint64_t off, uint64_t len, ostd::Vec<uint8_t>& out) {
  OSTD_TRY(out.Resize(len));
  auto w = ostd::vm::VmWriter<ostd::vm::Infallible>::FromSpan(out.span());
  for (uint64_t index = off / kPageSize; w.has_avail(); ++index) {
    OSTD_TRY_ASSIGN(ostd::mm::UFrame page, file.GetPage(index, false));
    auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromFrame(page);
    if (index == off / kPageSize) r.Skip(off % kPageSize);
    r.ReadTo(w);
  }
  return {};
}

// "#!interpreter [arg]" in the first line of `head`: the interpreter and its
// optional single argument (Linux passes the rest of the line as one word).
struct Shebang {
  std::string_view interp;
  std::string_view arg;
};
Result<Shebang> ParseShebang(std::span<const uint8_t> head, std::span<char> storage) {
  size_t n = std::min(head.size(), storage.size());
  size_t end = 2;
  while (end < n && head[end] != '\n') ++end;
  if (end == n && n == storage.size()) return Err(Errno::kENOEXEC);  // line too long
  for (size_t i = 0; i < end; ++i) storage[i] = static_cast<char>(head[i]);
  std::string_view line(storage.first(end));
  line.remove_prefix(2);
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  while (!line.empty() && (is_space(line.back()) || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return Err(Errno::kENOEXEC);
  size_t sp = 0;
  while (sp < line.size() && !is_space(line[sp])) ++sp;
  Shebang s{line.substr(0, sp), {}};
  std::string_view rest = line.substr(sp);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  s.arg = rest;
  return s;
}

// Maps the program's segments into `mm`.
Status MapSegments(AddressSpace& mm, const PageSourceRef& file, const exec::LoadPlan& plan) {
  uint64_t mapped_end = 0;  // the end of the previous segment's pages
  for (const exec::LoadSegment& seg : plan.segments()) {
    uint32_t prot = seg.prot;
    uint64_t start = AlignDown(seg.vaddr, kPageSize);
    uint64_t file_end = AlignUp(seg.vaddr + seg.filesz, kPageSize);
    uint64_t mem_end = AlignUp(seg.vaddr + seg.memsz, kPageSize);
    if (start < mapped_end) {
      // The first page is the previous segment's last: keep that mapping and
      // give the page both segments' rights.
      OSTD_TRY(mm.ProtectUnion(start, kPageSize, prot));
      start = mapped_end;
    }
    if (seg.filesz > 0 && start < file_end) {
      uint64_t pgoff = (seg.offset - (seg.vaddr - start)) / kPageSize;
      OSTD_TRY(mm.Map(start, file_end - start, prot, kMapPrivate | kMapFixed, file, pgoff));
    }
    uint64_t anon_start = std::max(start, file_end);
    if (mem_end > anon_start) {
      OSTD_TRY(mm.Map(anon_start, mem_end - anon_start, prot,
                      kMapPrivate | kMapFixed | kMapAnonymous, PageSourceRef(), 0));
    }
    mapped_end = std::max(mapped_end, mem_end);
  }
  return {};
}

// Loads the interpreter (ld.so) that `plan`'s PT_INTERP names into `mm`
// where mmap would put a mapping of its size (as Linux's load_elf_interp) and
// returns its plan: AT_BASE is its load bias and its entry is where the
// program starts. Errors as Linux: the path's lookup errors (ENOENT, EACCES,
// ...), ELIBBAD for an interpreter that is not an x86_64 ELF file, its
// parse errors otherwise. Unlike Linux, which maps the interpreter after the
// point of no return and kills the process when that fails, a failure here
// leaves the caller's program running.
Result<exec::LoadPlan> LoadInterpreter(Thread& self, PageSource& exe, const exec::LoadPlan& plan,
                                       AddressSpace& mm, std::string_view exe_path) {
  ostd::Vec<uint8_t> bytes;
  OSTD_TRY(ReadRange(exe, plan.interp_offset, plan.interp_size, bytes));
  ostd::Vec<char> name;
  OSTD_TRY(name.Resize(bytes.size()));
  for (size_t i = 0; i < bytes.size(); ++i) name[i] = static_cast<char>(bytes[i]);
  Result<std::string_view> path = exec::InterpPath(name.span());
  if (!path) {
    OSTD_LOG_INFO("execve {}: PT_INTERP is not a NUL-terminated path", exe_path);
    return Err(path.error());
  }
  ostd::Vec<char> interp_abs;
  creds::ExecImage unused;  // the interpreter's set-id bits do not count
  OSTD_TRY_ASSIGN(PageSourceRef file, glue::OpenExec(self, *path, interp_abs, unused));
  ostd::Vec<uint8_t> head;
  OSTD_TRY(ReadHead(*file.get(), kPageSize, head));
  Result<uint64_t> extent = exec::ElfHeadersExtent(head.span());
  if (!extent) {
    OSTD_LOG_INFO("execve {}: interpreter {} is not an x86_64 ELF file", exe_path, *path);
    return Err(Errno::kELIBBAD);
  }
  if (*extent > head.size()) OSTD_TRY(ReadHead(*file.get(), *extent, head));
  std::string_view reason;
  Result<exec::LoadPlan> at_zero = exec::ParseElfAt(head.span(), file->Size(), 0, &reason);
  if (!at_zero) {
    OSTD_LOG_INFO("execve {}: interpreter {}: {}", exe_path, *path, reason);
    return Err(at_zero.error());
  }
  exec::LoadPlan interp = *at_zero;
  if (interp.type == exec::kEtDyn) {
    // Find room as mmap(NULL) would, then map the segments there.
    uint64_t span = interp.image_end() - interp.image_start();
    OSTD_TRY_ASSIGN(uint64_t base,
                    mm.Map(0, span, 0, kMapPrivate | kMapAnonymous, PageSourceRef(), 0));
    OSTD_TRY(mm.Unmap(base, span));
    Result<exec::LoadPlan> placed = exec::ParseElfAt(head.span(), file->Size(), base, &reason);
    if (!placed) return Err(placed.error());
    interp = *placed;
  }
  OSTD_TRY(MapSegments(mm, file, interp));
  return interp;
}

// Zeroes the bytes between the end of each segment's file data and its page
// end (they hold whatever follows in the file), as Linux's padzero: the whole
// rest of the page, not only up to memsz, since ld.so's own allocator takes
// the end of its bss page as zeroed memory. A following segment starting in
// that page keeps its bytes. Runs in the new space.
Status ZeroSegmentTails(ostd::vm::VmSpace& vm, const exec::LoadPlan& plan) {
  std::span<const exec::LoadSegment> segs = plan.segments();
  for (size_t i = 0; i < segs.size(); ++i) {
    const exec::LoadSegment& seg = segs[i];
    uint64_t data_end = seg.vaddr + seg.filesz;
    uint64_t page_end = AlignUp(data_end, kPageSize);
    if (seg.memsz <= seg.filesz || data_end == page_end || (seg.prot & kProtWrite) == 0) continue;
    uint64_t end = page_end;
    if (i + 1 < segs.size()) end = std::min(end, std::max(data_end, segs[i + 1].vaddr));
    uint64_t len = end - data_end;
    if (len == 0) continue;
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w, vm.Writer(data_end, len));
    OSTD_TRY(w.FillZeros(len).status());
  }
  return {};
}

// Stops every other thread of the process (execve in a threaded program).
void KillOtherThreads(Thread& self) {
  Process& p = self.process();
  {
    ostd::SpinLockGuard guard(TreeLock());
    p.ForEachThreadLocked([&](Thread& t) {
      if (&t == &self) return;
      t.exiting.store(true, std::memory_order_release);
      t.Kick();
    });
  }
  p.WaitForOtherThreads();
}

Status ExecOnce(Thread& self, std::string_view path, std::span<const std::string_view> argv,
                std::span<const std::string_view> envp) {
  Process& p = self.process();
  // "#!" scripts are followed in a loop, not by recursion (the kernel stack
  // is small); each level's interpreter line and argument list stay alive
  // on the heap, since the next level's strings point into them.
  struct ScriptLevel {
    std::array<char, 256> line{};
    ostd::Vec<std::string_view> args;
  };
  std::optional<ostd::Box<std::array<ScriptLevel, kMaxScriptDepth>>> levels;
  ostd::Vec<char> exe_path;
  creds::ExecImage exe_image;
  PageSourceRef file;
  ostd::Vec<uint8_t> head;
  for (int depth = 0;; ++depth) {
    exe_path = ostd::Vec<char>();
    exe_image = creds::ExecImage{};
    OSTD_TRY_ASSIGN(file, glue::OpenExec(self, path, exe_path, exe_image));
    head = ostd::Vec<uint8_t>();
    OSTD_TRY(ReadHead(*file.get(), kPageSize, head));
    if (head.size() < 2 || head[0] != '#' || head[1] != '!') break;
    if (depth >= kMaxScriptDepth) return Err(Errno::kELOOP);
    if (!levels) {
      OSTD_TRY_ASSIGN(auto made, (ostd::MakeBox<std::array<ScriptLevel, kMaxScriptDepth>>()));
      levels = std::move(made);
    }
    ScriptLevel& level = (**levels)[static_cast<size_t>(depth)];
    OSTD_TRY_ASSIGN(Shebang sb, ParseShebang(head.span(), level.line));
    // argv becomes: interp [arg] path argv[1...]
    OSTD_TRY(level.args.Push(sb.interp));
    if (!sb.arg.empty()) OSTD_TRY(level.args.Push(sb.arg));
    OSTD_TRY(level.args.Push(path));
    for (size_t i = 1; i < argv.size(); ++i) OSTD_TRY(level.args.Push(argv[i]));
    path = sb.interp;
    argv = level.args.span();
  }
  std::string_view reason;
  Result<uint64_t> extent = exec::ElfHeadersExtent(head.span());
  if (!extent) return Err(extent.error());
  if (*extent > head.size()) OSTD_TRY(ReadHead(*file.get(), *extent, head));
  Result<exec::LoadPlan> plan = exec::ParseElf(head.span(), file->Size(), &reason);
  if (!plan) {
    OSTD_LOG_INFO("execve {}: {}", path, reason);
    return Err(plan.error());
  }

  // Build the new address space while the old one still runs.
  // Dropped (with everything mapped so far) on any failure before the switch.
  OSTD_TRY_ASSIGN(ostd::RefPtr<MmHandle> handle, AddressSpace::Create());
  AddressSpace* mm = &handle->space();
  auto fail = [](Errno e) { return Err(e); };
  if (Status s = MapSegments(*mm, file, *plan); !s) return fail(s.error());
  // A dynamically linked program starts in its interpreter, which finds the
  // program through AT_PHDR and AT_ENTRY and itself through AT_BASE.
  exec::LoadPlan interp;
  uint64_t start_rip = plan->entry;
  uint64_t at_base = 0;
  if (plan->interp_size != 0) {
    Result<exec::LoadPlan> loaded = LoadInterpreter(self, *file.get(), *plan, *mm, path);
    if (!loaded) return fail(loaded.error());
    interp = *loaded;
    start_rip = interp.entry;
    at_base = interp.load_bias;
  }
  // The vDSO goes below the interpreter, as on Linux.
  Result<uint64_t> vdso = MapVdso(*mm);
  if (!vdso) return fail(vdso.error());
  uint32_t stack_prot = kProtRead | kProtWrite | (plan->exec_stack ? kProtExec : 0);
  if (!mm->Map(kUserTop - kStackMax, kStackMax, stack_prot, kMapPrivate | kMapFixed | kMapAnonymous,
               PageSourceRef(), 0, VmaKind::kStack)) {
    return fail(Errno::kENOMEM);
  }
  mm->InitBrk(plan->brk_start);

  exec::StackInputs in;
  in.stack_top = kUserTop;
  in.argv = argv;
  in.envp = envp;
  in.execfn = path;
  glue::RandomBytes(in.random);
  in.phdr = plan->phdr_addr;
  in.phent = plan->phent;
  in.phnum = plan->phnum;
  in.entry = plan->entry;
  in.base = at_base;
  in.sysinfo_ehdr = *vdso;
  // The new credentials (set-id bits, capabilities): computed here, taken
  // at the point of no return. A script's own set-id bits do not count: the
  // interpreter is the file that runs (this call, one level down).
  creds::ExecOutcome next =
      creds::ForExec(p.creds(), exe_image, p.no_new_privs.load(std::memory_order_relaxed));
  const Credentials& c = next.creds;
  in.uid = c.uid, in.euid = c.euid, in.gid = c.gid, in.egid = c.egid;
  in.secure = next.secure ? 1 : 0;
  in.hwcap = ostd::cpu::Identify().features_edx;
  in.minsigstksz = 440 + ostd::user::UserContext::FpuStateSize() + 128;
  Result<exec::StackLayout> layout = exec::PlanInitialStack(in);
  if (!layout) return fail(layout.error());
  ostd::Vec<uint8_t> image;
  if (!image.Resize(layout->size)) return fail(Errno::kENOMEM);
  if (!exec::BuildInitialStack(in, image.span())) return fail(Errno::kENOMEM);
  Result<ostd::user::UserContext> ctx = ostd::user::UserContext::Create();
  if (!ctx) return fail(Errno::kENOMEM);

  // The point of no return: the old program is gone after this.
  KillOtherThreads(self);
  // Robust futexes the caller holds die with the old program (Linux's
  // exec_mm_release), while its memory is still mapped.
  ExitRobustList(self);
  ostd::RefPtr<MmHandle> old = p.ReplaceMm(handle);
  ostd::SetCurrentVmSpace(mm->vm_space_ref());
  old.Reset();
  Status loaded = [&]() -> Status {
    OSTD_TRY_ASSIGN(ostd::vm::VmWriter<ostd::vm::Fallible> w,
                    mm->vm_space().Writer(layout->rsp, layout->size));
    auto r = ostd::vm::VmReader<ostd::vm::Infallible>::FromSpan(image.span());
    OSTD_TRY(r.ReadTo(w).status());
    OSTD_TRY(ZeroSegmentTails(mm->vm_space(), *plan));
    if (interp.segment_count != 0) OSTD_TRY(ZeroSegmentTails(mm->vm_space(), interp));
    return {};
  }();
  if (!loaded) {
    OSTD_LOG_WARN("execve {}: out of memory after the point of no return", path);
    ExitGroup(p, SignaledStatus(kSigSegv));
    self.exiting.store(true, std::memory_order_release);
    return {};
  }
  ctx->set_rip(start_rip);
  ctx->set_rsp(layout->rsp);
  self.context() = std::move(*ctx);
  p.handlers().ResetForExec();
  // Linux's begin_new_exec and commit_creds: the new identity; a set-id
  // exec loses the parent-death signal and the PER_CLEAR_ON_SETID persona
  // flags; the program is dumpable only if its ids are not mixed.
  p.SetCreds(next.creds);
  if (next.secure) p.pdeath_signal.store(0, std::memory_order_relaxed);
  if (next.setid) {
    constexpr uint32_t kPerClearOnSetid = 0x0400000 | 0x0040000 | 0x0200000 | 0x0100000;
    p.personality.fetch_and(~kPerClearOnSetid, std::memory_order_relaxed);
  }
  p.dumpable.store(c.euid == c.uid && c.egid == c.gid ? 1 : 0, std::memory_order_relaxed);
  DeleteAllPosixTimers(p);
  glue::CloseOnExec(p.files());
  p.set_name(path);
  p.set_cmdline(argv);
  p.set_exe_path(std::string_view(exe_path.span()));
  self.rseq = {};  // the new program registers its own (Linux's rseq_execve)
  self.process().membarrier_state.store(0, std::memory_order_release);  // a new mm
  self.rseq_cpu = -1;
  self.altstack_sp = 0;
  self.altstack_size = 0;
  self.altstack_flags = 2;  // SS_DISABLE
  self.clear_child_tid = {};
  p.vfork_done.store(true, std::memory_order_release);
  p.vfork_wait.WakeAll();
  return {};
}

}  // namespace

Status Exec(Thread& self, std::string_view path, std::span<const std::string_view> argv,
            std::span<const std::string_view> envp) {
  return ExecOnce(self, path, argv, envp);
}

}  // namespace kernel
