// Keel's EFI stub: the EFI application OVMF (or any UEFI firmware) starts as
// \EFI\BOOT\BOOTX64.EFI. It carries the kernel ELF (the same image QEMU boots
// with -kernel) and, under boot services:
//   1. reads the command line from the load options (UCS-2), or from the file
//      \keel\cmdline on the boot volume when the options are not text;
//   2. loads the initramfs from the boot volume (`initrd=PATH` on the command
//      line, else \keel\initramfs if present) below 4 GiB;
//   3. finds the ACPI RSDP in the configuration table (2.0, else 1.0);
//   4. gets the memory map and exits boot services, retrying on a stale map key;
//   5. converts the map to E820 entries in the hand-off block, copies the
//      kernel's segments to their physical addresses (checked free now) and
//      enters the kernel's 64-bit EFI entry (arch/x86_64/boot.S) with the
//      block's address.
// Errors before ExitBootServices go to the UEFI console and return to the
// firmware; after it, to COM1 directly, and the CPU halts.
//
// Built for the Microsoft x64 ABI (EFIAPI) by build/efi.bzl; runs on the
// firmware's identity map, so physical addresses and pointers coincide.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/efi/config_table.h"
#include "arch/x86_64/efi/efi.h"
#include "arch/x86_64/efi/handoff.h"
#include "arch/x86_64/efi/kernel_elf.h"
#include "arch/x86_64/efi/load_options.h"
#include "arch/x86_64/efi/memory_map.h"

// The kernel ELF, placed in the image by the generated kernel_blob.S.
extern "C" const uint8_t keel_kernel_elf_start[];
extern "C" const uint8_t keel_kernel_elf_end[];

// The compiler may emit calls to these for copies and zeroing.
extern "C" void* memcpy(void* dst, const void* src, size_t n) {
  void* d = dst;
  // SAFETY: the caller passes n bytes valid at both ends (the C contract).
  asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

extern "C" void* memset(void* dst, int c, size_t n) {
  void* d = dst;
  // SAFETY: the caller passes n writable bytes at dst (the C contract).
  asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

namespace arch::efi {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kBelow4G = 0xffffffffull;
constexpr size_t kCmdlineCap = kHandoffMaxCmdline + 1;
constexpr size_t kLoaderCap = 128;
constexpr char kDefaultInitramfs[] = "\\keel\\initramfs";
constexpr char16_t kCmdlineFile[] = u"\\keel\\cmdline";
constexpr int kExitAttempts = 8;

SystemTable* system_table;
BootServices* boot_services;

uint64_t Pages(uint64_t bytes) { return (bytes + kPageSize - 1) / kPageSize; }

// ---- Output ----

// Writes ASCII text to the UEFI console ("\n" becomes "\r\n").
void Print(const char* text) {
  char16_t buf[128];
  size_t n = 0;
  auto flush = [&] {
    buf[n] = u'\0';
    system_table->con_out->output_string(system_table->con_out, buf);
    n = 0;
  };
  for (size_t i = 0; text[i] != '\0'; ++i) {
    if (n + 3 >= sizeof(buf) / sizeof(buf[0])) flush();
    if (text[i] == '\n') buf[n++] = u'\r';
    buf[n++] = static_cast<char16_t>(static_cast<uint8_t>(text[i]));
  }
  flush();
}

// Formats `v` in hexadecimal with a 0x prefix into buf (at least 19 bytes).
const char* Hex(uint64_t v, char* buf) {
  const char* digits = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = digits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  buf[0] = '0';
  buf[1] = 'x';
  for (size_t i = 0; i < n; ++i) buf[2 + i] = tmp[n - 1 - i];
  buf[2 + n] = '\0';
  return buf;
}

void PrintHex(uint64_t v) {
  char buf[20];
  Print(Hex(v, buf));
}

// Ends a failure report under boot services (the caller printed what failed)
// and returns `status` for EfiMain.
Status Failed(Status status) {
  Print(" (EFI status ");
  PrintHex(status);
  Print(")\nkeel: the EFI stub gives up; back to the firmware\n");
  return status == kSuccess ? kLoadError : status;
}

// Reports a failure under boot services and returns `status` for EfiMain.
Status Fail(const char* what, Status status) {
  Print("keel: ");
  Print(what);
  return Failed(status);
}

// Whether this is a TDX guest (cpuid leaf 0x21 says "IntelTDX    " in EBX,
// EDX, ECX). There, port I/O and hlt would raise a #VE that nothing handles
// yet, so the stub asks the host with TDVMCALLs instead.
bool InTd() {
  uint32_t a, b, c, d;
  // SAFETY: cpuid has no side effects (in a TD the TDX module answers both
  // leaves itself).
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a < 0x21) return false;
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x21), "c"(0));
  return b == 0x65746e49 && d == 0x5844546c && c == 0x20202020;
}

// TDG.VP.VMCALL (GHCI) with sub-function `fn` and arguments R12..R15
// (R10..R15 exposed to the host); returns R10, the host's status.
uint64_t Tdvmcall(uint64_t fn, uint64_t r12v, uint64_t r13v, uint64_t r14v, uint64_t r15v) {
  register uint64_t r10 asm("r10") = 0;
  register uint64_t r11 asm("r11") = fn;
  register uint64_t r12 asm("r12") = r12v;
  register uint64_t r13 asm("r13") = r13v;
  register uint64_t r14 asm("r14") = r14v;
  register uint64_t r15 asm("r15") = r15v;
  uint64_t rax = 0;       // TDG.VP.VMCALL
  uint64_t rcx = 0xfc00;  // R10..R15 go to the host
  // SAFETY: the tdcall instruction (66 0f 01 cc), used only in a TD (InTd);
  // the host sees only the registers named in RCX.
  asm volatile(".byte 0x66, 0x0f, 0x01, 0xcc"
               : "+a"(rax), "+c"(rcx), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13), "+r"(r14),
                 "+r"(r15)
               :
               : "memory");
  return r10;
}

void SerialPut(char c) {
  constexpr uint16_t kCom1 = 0x3f8;
  if (InTd()) {
    // Instruction.IO (30): one byte, a write, to COM1's transmit register.
    static_cast<void>(Tdvmcall(30, 1, 1, kCom1, static_cast<uint8_t>(c)));
    return;
  }
  for (int spins = 0; spins < 100000; ++spins) {
    uint8_t lsr;
    // SAFETY: reads COM1's line status register; after ExitBootServices the
    // stub owns the machine and nothing else drives the UART.
    asm volatile("inb %1, %0" : "=a"(lsr) : "Nd"(static_cast<uint16_t>(kCom1 + 5)));
    if (lsr & 0x20) break;
  }
  // SAFETY: writes one byte to COM1's transmit register (as above).
  asm volatile("outb %0, %1" : : "a"(static_cast<uint8_t>(c)), "Nd"(kCom1));
}

void SerialPrint(const char* text) {
  for (size_t i = 0; text[i] != '\0'; ++i) {
    if (text[i] == '\n') SerialPut('\r');
    SerialPut(text[i]);
  }
}

// After ExitBootServices (or during its retries) the console is gone: report
// on COM1 and stop this CPU.
[[noreturn]] void SerialFail(const char* what, uint64_t value) {
  char buf[20];
  SerialPrint("keel: ");
  SerialPrint(what);
  SerialPrint(" (");
  SerialPrint(Hex(value, buf));
  SerialPrint(")\nkeel: boot services are gone; halting\n");
  bool td = InTd();
  for (;;) {
    if (td) {
      // Instruction.HLT (12) with interrupts blocked: the host stops the vCPU.
      // SAFETY: interrupts off; nothing is left to run.
      asm volatile("cli");
      static_cast<void>(Tdvmcall(12, 1, 0, 0, 0));
      continue;
    }
    // SAFETY: stops the CPU with interrupts off; nothing is left to run.
    asm volatile("cli; hlt");
  }
}

// ---- Files on the boot volume ----

struct FileData {
  uint8_t* bytes;
  uint64_t size;
};

// Reads the whole file `path` from `root` into fresh pages below 4 GiB.
Status ReadFile(File* root, const char16_t* path, FileData* out) {
  File* file = nullptr;
  Status s = root->open(root, &file, path, kFileModeRead, 0);
  if (s != kSuccess) return s;
  uint64_t size = 0;
  s = file->set_position(file, kFilePositionEnd);
  if (s == kSuccess) s = file->get_position(file, &size);
  if (s == kSuccess) s = file->set_position(file, 0);
  uint64_t base = kBelow4G;
  if (s == kSuccess) {
    s = boot_services->allocate_pages(kAllocateMaxAddress, kLoaderData, Pages(size + 1), &base);
  }
  uint64_t done = 0;
  while (s == kSuccess && done < size) {
    uint64_t chunk = size - done;
    // SAFETY: [base, base + size] is the allocation just made (identity-mapped).
    s = file->read(file, &chunk, reinterpret_cast<uint8_t*>(base) + done);
    if (s == kSuccess && chunk == 0) s = kLoadError;  // the file shrank under us
    done += chunk;
  }
  file->close(file);
  if (s != kSuccess) return s;
  // SAFETY: as above; one spare byte after the data for a terminating NUL.
  out->bytes = reinterpret_cast<uint8_t*>(base);
  out->bytes[size] = 0;
  out->size = size;
  return kSuccess;
}

// The command line from \keel\cmdline (ASCII; line ends become spaces).
void ReadCmdlineFile(File* root, char* cmdline, size_t* len) {
  FileData f{};
  if (root == nullptr || ReadFile(root, kCmdlineFile, &f) != kSuccess) return;
  size_t n = 0;
  for (uint64_t i = 0; i < f.size && n + 1 < kCmdlineCap; ++i) {
    char c = static_cast<char>(f.bytes[i]);
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c < 0x20 || c > 0x7e) {
      Print("keel: \\keel\\cmdline holds a byte that is not printable ASCII; ignoring the file\n");
      n = 0;
      break;
    }
    cmdline[n++] = c;
  }
  while (n > 0 && cmdline[n - 1] == ' ') --n;
  cmdline[n] = '\0';
  *len = n;
  if (f.size >= kCmdlineCap) Print("keel: \\keel\\cmdline is longer than 4095 bytes; cut\n");
  boot_services->free_pages(reinterpret_cast<uint64_t>(f.bytes), Pages(f.size + 1));
}

// ---- The steps ----

// Everything the steps find out. Zero-initialized: it lives in .bss, which the
// firmware's loader clears (no constructors run in an EFI application).
struct Boot {
  Handle image;
  LoadedImage* loaded;
  File* root;  // the boot volume, if the firmware gives one
  KernelLayout kernel;
  char cmdline[kCmdlineCap];
  size_t cmdline_len;
  FileData initramfs;
  uint64_t rsdp;
  bool acpi1;
};
Boot boot;

Status FindCommandLine(Boot* b) {
  DecodedOptions d =
      DecodeLoadOptions(static_cast<const uint8_t*>(b->loaded->load_options),
                        b->loaded->load_options_size, b->cmdline, sizeof(b->cmdline));
  if (d.kind == LoadOptionsKind::kText) {
    b->cmdline_len = d.length;
    if (d.truncated) Print("keel: the load options are longer than 4095 characters; cut\n");
    Print("keel: command line from the load options\n");
    return kSuccess;
  }
  if (d.kind == LoadOptionsKind::kNotText) {
    Print("keel: ignoring load options that are not UCS-2 text (");
    PrintHex(b->loaded->load_options_size);
    Print(" bytes)\n");
  }
  ReadCmdlineFile(b->root, b->cmdline, &b->cmdline_len);
  if (b->cmdline_len > 0) Print("keel: command line from \\keel\\cmdline\n");
  return kSuccess;
}

Status LoadInitramfs(Boot* b) {
  size_t start = 0;
  size_t len = 0;
  bool explicit_path = FindCmdlineValue(b->cmdline, b->cmdline_len, "initrd", &start, &len);
  char16_t path[256];
  const char* ascii = explicit_path ? b->cmdline + start : kDefaultInitramfs;
  size_t ascii_len = explicit_path ? len : sizeof(kDefaultInitramfs) - 1;
  if (!ToEfiPath(ascii, ascii_len, path, sizeof(path) / sizeof(path[0]))) {
    return Fail("initrd= names no usable path (empty, too long or not printable ASCII)",
                kInvalidParameter);
  }
  if (b->root == nullptr) {
    if (explicit_path)
      return Fail("initrd= given, but the boot device has no file system", kNotFound);
    Print("keel: the boot device has no file system: booting without an initramfs\n");
    return kSuccess;
  }
  Status s = ReadFile(b->root, path, &b->initramfs);
  if (s == kNotFound && !explicit_path) {
    Print("keel: no \\keel\\initramfs on the boot volume: booting without an initramfs\n");
    return kSuccess;
  }
  if (s != kSuccess) {
    Print("keel: cannot load the initramfs ");
    char shown[256];
    size_t n = ascii_len < sizeof(shown) - 1 ? ascii_len : sizeof(shown) - 1;
    for (size_t i = 0; i < n; ++i) shown[i] = ascii[i];
    shown[n] = '\0';
    Print(shown);
    Print(": missing, unreadable, or no memory below 4 GiB for it");
    return Failed(s);
  }
  Print("keel: initramfs of ");
  PrintHex(b->initramfs.size);
  Print(" bytes at ");
  PrintHex(reinterpret_cast<uint64_t>(b->initramfs.bytes));
  Print("\n");
  return kSuccess;
}

void FindAcpi(Boot* b) {
  RsdpLookup r = FindRsdp(system_table->configuration_table, system_table->number_of_table_entries);
  if (r.table == nullptr) {
    Print("keel: no ACPI RSDP in the UEFI configuration table: booting without ACPI (one CPU)\n");
    return;
  }
  // SAFETY: the firmware published this table; an RSDP is at least 20 bytes.
  if (!RsdpLooksValid(static_cast<const uint8_t*>(r.table))) {
    Print(
        "keel: the configuration table's ACPI RSDP has a bad signature or checksum: booting "
        "without ACPI (one CPU)\n");
    return;
  }
  b->rsdp = reinterpret_cast<uint64_t>(r.table);
  b->acpi1 = r.acpi1;
  Print(r.acpi1 ? "keel: ACPI 1.0 RSDP at " : "keel: ACPI 2.0 RSDP at ");
  PrintHex(b->rsdp);
  Print("\n");
}

Status ReadKernel(Boot* b) {
  size_t size = static_cast<size_t>(keel_kernel_elf_end - keel_kernel_elf_start);
  ElfError e = ParseKernelElf(keel_kernel_elf_start, size, &b->kernel);
  if (e != ElfError::kOk) {
    Print("keel: the embedded kernel is unusable: ");
    Print(ElfErrorText(e));
    Print(" (a build problem)");
    return Failed(kLoadError);
  }
  return kSuccess;
}

// True if no paging structure reachable from the table at `table` (level 4 =
// PML4) lies in [lo, hi). Large pages end the walk.
bool PageTablesAvoid(uint64_t table, int level, uint64_t lo, uint64_t hi) {
  if (table < hi && table + kPageSize > lo) return false;
  if (level == 1) return true;
  constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
  for (size_t i = 0; i < 512; ++i) {
    uint64_t entry;
    // SAFETY: `table` is a live paging structure of the current address space
    // (CR3 or an entry of one), identity-mapped by the firmware.
    entry = reinterpret_cast<const uint64_t*>(table)[i];
    if ((entry & 1) == 0) continue;
    if (level > 1 && level < 4 && (entry & 0x80) != 0) continue;  // 1 GiB / 2 MiB page
    if (!PageTablesAvoid(entry & kAddrMask, level - 1, lo, hi)) return false;
  }
  return true;
}

// After ExitBootServices: copies the kernel's segments to their physical
// addresses. The firmware may have used that range during boot services (OVMF
// keeps its DXE firmware volume there), so it is checked now against the final
// map (only memory free after the exit), this stack and the live page tables,
// the way GRUB's relocator moves its chunks into place at the last moment.
void PlaceKernel(const Boot& b, const uint8_t* map, uint64_t map_size, uint64_t desc_size) {
  uint64_t lo = b.kernel.lowest;
  uint64_t hi = b.kernel.highest;
  if (!FreeAfterExit(map, map_size, desc_size, lo, hi)) {
    SerialFail("the kernel's physical range is not free memory after ExitBootServices", lo);
  }
  uint64_t rsp;
  uint64_t cr3;
  // SAFETY: reads the stack pointer and CR3; no side effects.
  asm volatile("mov %%rsp, %0; mov %%cr3, %1" : "=r"(rsp), "=r"(cr3));
  constexpr uint64_t kStackSlack = 64 * 1024;
  if (rsp + kStackSlack > lo && rsp < hi + kStackSlack) {
    SerialFail("the firmware's stack lies in the kernel's physical range", rsp);
  }
  if (!PageTablesAvoid(cr3 & 0x000ffffffffff000ull, 4, lo, hi)) {
    SerialFail("the firmware's page tables lie in the kernel's physical range", cr3);
  }
  for (size_t i = 0; i < b.kernel.count; ++i) {
    const KernelSegment& seg = b.kernel.segments[i];
    // SAFETY: ParseKernelElf checked the source lies in the embedded image and
    // the destination in [lo, hi), which the checks above show is free RAM
    // nothing still uses (the image itself is loader memory, outside it).
    uint8_t* dst = reinterpret_cast<uint8_t*>(seg.paddr);
    memcpy(dst, keel_kernel_elf_start + seg.file_offset, seg.file_size);
    memset(dst + seg.file_size, 0, seg.mem_size - seg.file_size);
  }
}

// ASCII form of the firmware vendor (UCS-2), for the loader name.
void LoaderName(char* out, size_t cap) {
  const char prefix[] = "Keel EFI stub on ";
  size_t n = 0;
  for (; prefix[n] != '\0'; ++n) out[n] = prefix[n];
  const char16_t* v = system_table->firmware_vendor;
  for (size_t i = 0; v != nullptr && v[i] != 0 && n + 1 < cap; ++i) {
    out[n++] = v[i] >= 0x20 && v[i] <= 0x7e ? static_cast<char>(v[i]) : '?';
  }
  out[n] = '\0';
}

struct Prepared {
  Handoff* handoff;
  E820Entry* entries;
  size_t entry_cap;
  uint8_t* raw_map;
  uint64_t raw_cap;  // bytes
};

// Allocates the hand-off block and the raw map buffer (both before the last
// GetMemoryMap, so they are in it) and fills in everything but the map.
Status Prepare(Boot* b, Prepared* p) {
  uint64_t map_size = 0;
  uint64_t key = 0;
  uint64_t desc_size = 0;
  uint32_t version = 0;
  Status s = boot_services->get_memory_map(&map_size, nullptr, &key, &desc_size, &version);
  if (s != kBufferTooSmall || desc_size < sizeof(MemoryDescriptor)) {
    return Fail("GetMemoryMap does not report a map size", s);
  }
  // Slack for the descriptors our own allocations add.
  uint64_t descs = map_size / desc_size + 32;
  if (descs > kHandoffMaxEntries) {
    Print("keel: the firmware's memory map has ");
    PrintHex(map_size / desc_size);
    Print(" entries; Keel takes at most ");
    PrintHex(kHandoffMaxEntries - 32);
    return Failed(kBufferTooSmall);
  }
  p->entry_cap = descs;
  p->raw_cap = descs * desc_size;
  uint64_t block_size = sizeof(Handoff) + kCmdlineCap + kLoaderCap + descs * sizeof(E820Entry);
  uint64_t block = kBelow4G;
  s = boot_services->allocate_pages(kAllocateMaxAddress, kLoaderData, Pages(block_size), &block);
  if (s != kSuccess) return Fail("no memory below 4 GiB for the hand-off block", s);
  void* raw = nullptr;
  s = boot_services->allocate_pool(kLoaderData, p->raw_cap, &raw);
  if (s != kSuccess) return Fail("no memory for the memory map", s);
  p->raw_map = static_cast<uint8_t*>(raw);

  // SAFETY: `block` is a fresh allocation of block_size bytes (identity-mapped),
  // laid out as header, command line, loader name, map entries (all 8-aligned).
  uint8_t* bytes = reinterpret_cast<uint8_t*>(block);
  memset(bytes, 0, block_size);
  p->handoff = reinterpret_cast<Handoff*>(bytes);
  char* cmdline = reinterpret_cast<char*>(bytes + sizeof(Handoff));
  char* loader = cmdline + kCmdlineCap;
  p->entries = reinterpret_cast<E820Entry*>(bytes + sizeof(Handoff) + kCmdlineCap + kLoaderCap);
  for (size_t i = 0; i < b->cmdline_len; ++i) cmdline[i] = b->cmdline[i];
  cmdline[b->cmdline_len] = '\0';
  LoaderName(loader, kLoaderCap);

  Handoff* h = p->handoff;
  h->magic = kHandoffMagic;
  h->version = kHandoffVersion;
  h->total_size = block_size;
  h->cmdline_paddr = reinterpret_cast<uint64_t>(cmdline);
  h->loader_paddr = reinterpret_cast<uint64_t>(loader);
  h->initramfs_paddr = reinterpret_cast<uint64_t>(b->initramfs.bytes);
  h->initramfs_size = b->initramfs.size;
  h->rsdp_paddr = b->rsdp;
  h->memmap_paddr = reinterpret_cast<uint64_t>(p->entries);
  h->memmap_entries = 0;
  h->flags = b->acpi1 ? kHandoffFlagAcpi1 : 0;
  return kSuccess;
}

// GetMemoryMap + ExitBootServices until the key is current. Returns the map
// size in bytes and the descriptor size. No console output from the first
// ExitBootServices call on: a failed call may already have shut services down.
void ExitBootServices(Handle image, const Prepared& p, uint64_t* map_size, uint64_t* desc_size) {
  for (int attempt = 0; attempt < kExitAttempts; ++attempt) {
    uint64_t size = p.raw_cap;
    uint64_t key = 0;
    uint32_t version = 0;
    // SAFETY: raw_map holds raw_cap bytes (allocated in Prepare).
    Status s = boot_services->get_memory_map(&size, reinterpret_cast<MemoryDescriptor*>(p.raw_map),
                                             &key, desc_size, &version);
    if (s == kBufferTooSmall) {
      if (attempt == 0) {
        Fail("the memory map outgrew its buffer", s);
        return;
      }
      SerialFail("the memory map outgrew its buffer while exiting boot services", size);
    }
    if (s != kSuccess) {
      if (attempt == 0) {
        Fail("GetMemoryMap failed", s);
        return;
      }
      SerialFail("GetMemoryMap failed while exiting boot services", s);
    }
    s = boot_services->exit_boot_services(image, key);
    if (s == kSuccess) {
      *map_size = size;
      return;
    }
    // kInvalidParameter: the map changed since GetMemoryMap (a timer event
    // allocated, say): fetch it again and retry with the new key.
    if (s != kInvalidParameter) SerialFail("ExitBootServices failed", s);
  }
  SerialFail("ExitBootServices kept reporting a stale memory map key", kExitAttempts);
}

using KernelEntry = __attribute__((sysv_abi, noreturn)) void (*)(uint64_t handoff, uint64_t magic);

Status Main(Handle image) {
  Boot& b = boot;
  b.image = image;
  void* loaded = nullptr;
  Status s = boot_services->handle_protocol(image, &kLoadedImageProtocolGuid, &loaded);
  if (s != kSuccess) return Fail("no EFI_LOADED_IMAGE_PROTOCOL for this image", s);
  b.loaded = static_cast<LoadedImage*>(loaded);

  void* fs = nullptr;
  if (boot_services->handle_protocol(b.loaded->device_handle, &kSimpleFileSystemProtocolGuid,
                                     &fs) == kSuccess) {
    auto* sfs = static_cast<SimpleFileSystem*>(fs);
    if (sfs->open_volume(sfs, &b.root) != kSuccess) b.root = nullptr;
  }

  if ((s = FindCommandLine(&b)) != kSuccess) return s;
  Print("keel: command line \"");
  Print(b.cmdline);
  Print("\"\n");
  if ((s = LoadInitramfs(&b)) != kSuccess) return s;
  FindAcpi(&b);

  uint64_t cr4;
  // SAFETY: reads CR4; no side effects.
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  if (cr4 & (1u << 12)) {
    return Fail("the firmware runs with 5-level paging (CR4.LA57); Keel's entry needs 4-level",
                kUnsupported);
  }
  if ((s = ReadKernel(&b)) != kSuccess) return s;

  Prepared p{};
  if ((s = Prepare(&b, &p)) != kSuccess) return s;
  Print("keel: exiting boot services, entering the kernel at ");
  PrintHex(b.kernel.entry);
  Print("\n");

  uint64_t map_size = 0;
  uint64_t desc_size = 0;
  ExitBootServices(image, p, &map_size, &desc_size);
  if (map_size == 0) return kLoadError;  // reported under boot services
  // SAFETY: boot services are gone; nothing may interrupt us until the kernel
  // installs its own IDT.
  asm volatile("cli");

  ConvertResult r = ConvertMemoryMap(p.raw_map, map_size, desc_size, p.entries, p.entry_cap);
  if (r.error == MapError::kBadDescriptorSize)
    SerialFail("bad EFI memory descriptor size", desc_size);
  if (r.error == MapError::kTooMany) SerialFail("the EFI memory map is too large", map_size);
  p.handoff->memmap_entries = static_cast<uint32_t>(r.count);
  PlaceKernel(b, p.raw_map, map_size, desc_size);

  // SAFETY: ParseKernelElf checked the entry lies in the kernel image copied
  // to its physical address; boot.S's efi64_entry expects exactly this state
  // (long mode, identity map, interrupts off) and these two arguments.
  auto entry = reinterpret_cast<KernelEntry>(b.kernel.entry);
  entry(reinterpret_cast<uint64_t>(p.handoff), kHandoffMagic);
}

}  // namespace
}  // namespace arch::efi

extern "C" arch::efi::Status EfiMain(arch::efi::Handle image, arch::efi::SystemTable* st) {
  using namespace arch::efi;
  system_table = st;
  boot_services = st->boot_services;
  // The boot manager arms a 5-minute watchdog for applications: Keel is not one.
  boot_services->set_watchdog_timer(0, 0, 0, nullptr);
  Print("keel: EFI stub\n");
  return Main(image);
}
