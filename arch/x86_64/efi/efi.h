// The few UEFI interfaces Keel's EFI stub calls (UEFI 2.x specification,
// chapters 4 "EFI System Table", 7 "Services - Boot Services", 9 "Protocols -
// EFI Loaded Image", 12 "Protocols - Console Support" and 13 "Protocols -
// Media Access"). Only the members the stub uses are typed; the others keep
// their slot as an opaque pointer so every offset matches the specification.
//
// Trusted (arch/): the stub is compiled for the Microsoft x64 calling
// convention (`--target=x86_64-unknown-windows`), which is EFIAPI, so the
// function pointers need no attribute.
#ifndef ARCH_X86_64_EFI_EFI_H_
#define ARCH_X86_64_EFI_EFI_H_

#include <stddef.h>
#include <stdint.h>

namespace arch::efi {

using Status = uint64_t;
using Handle = void*;
using Char16 = char16_t;

inline constexpr Status kSuccess = 0;
inline constexpr Status kErrorBit = 0x8000000000000000ull;
inline constexpr Status kLoadError = kErrorBit | 1;
inline constexpr Status kInvalidParameter = kErrorBit | 2;
inline constexpr Status kUnsupported = kErrorBit | 3;
inline constexpr Status kBufferTooSmall = kErrorBit | 5;
inline constexpr Status kOutOfResources = kErrorBit | 9;
inline constexpr Status kNotFound = kErrorBit | 14;

struct Guid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];
};

inline bool SameGuid(const Guid& a, const Guid& b) {
  if (a.data1 != b.data1 || a.data2 != b.data2 || a.data3 != b.data3) return false;
  for (int i = 0; i < 8; ++i) {
    if (a.data4[i] != b.data4[i]) return false;
  }
  return true;
}

struct TableHeader {
  uint64_t signature;
  uint32_t revision;
  uint32_t header_size;
  uint32_t crc32;
  uint32_t reserved;
};

struct SimpleTextOutput {
  Status (*reset)(SimpleTextOutput* self, bool extended);
  Status (*output_string)(SimpleTextOutput* self, const Char16* string);
  // TestString, QueryMode, SetMode, SetAttribute, ClearScreen, SetCursorPosition,
  // EnableCursor and Mode follow; the stub does not use them.
};

// AllocatePages' allocation type.
enum AllocateType : uint32_t {
  kAllocateAnyPages = 0,
  kAllocateMaxAddress = 1,
  kAllocateAddress = 2,
};

// EFI_MEMORY_TYPE.
enum MemoryType : uint32_t {
  kReservedMemoryType = 0,
  kLoaderCode = 1,
  kLoaderData = 2,
  kBootServicesCode = 3,
  kBootServicesData = 4,
  kRuntimeServicesCode = 5,
  kRuntimeServicesData = 6,
  kConventionalMemory = 7,
  kUnusableMemory = 8,
  kAcpiReclaimMemory = 9,
  kAcpiMemoryNvs = 10,
  kMemoryMappedIo = 11,
  kMemoryMappedIoPortSpace = 12,
  kPalCode = 13,
  kPersistentMemory = 14,
  kUnacceptedMemory = 15,
};

// EFI_MEMORY_DESCRIPTOR. Firmware may use a larger DescriptorSize than this:
// step through a map by the size GetMemoryMap returns.
struct MemoryDescriptor {
  uint32_t type;
  uint32_t pad;
  uint64_t physical_start;
  uint64_t virtual_start;
  uint64_t number_of_pages;
  uint64_t attribute;
};
static_assert(sizeof(MemoryDescriptor) == 40);

struct BootServices {
  TableHeader hdr;
  void* raise_tpl;
  void* restore_tpl;
  Status (*allocate_pages)(AllocateType type, MemoryType memory_type, uint64_t pages,
                           uint64_t* memory);
  Status (*free_pages)(uint64_t memory, uint64_t pages);
  Status (*get_memory_map)(uint64_t* memory_map_size, MemoryDescriptor* memory_map,
                           uint64_t* map_key, uint64_t* descriptor_size,
                           uint32_t* descriptor_version);
  Status (*allocate_pool)(MemoryType pool_type, uint64_t size, void** buffer);
  Status (*free_pool)(void* buffer);
  void* create_event;
  void* set_timer;
  void* wait_for_event;
  void* signal_event;
  void* close_event;
  void* check_event;
  void* install_protocol_interface;
  void* reinstall_protocol_interface;
  void* uninstall_protocol_interface;
  Status (*handle_protocol)(Handle handle, const Guid* protocol, void** interface);
  void* reserved;
  void* register_protocol_notify;
  void* locate_handle;
  void* locate_device_path;
  void* install_configuration_table;
  void* load_image;
  void* start_image;
  void* exit;
  void* unload_image;
  Status (*exit_boot_services)(Handle image_handle, uint64_t map_key);
  void* get_next_monotonic_count;
  void* stall;
  Status (*set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t data_size,
                               const Char16* data);
  // ConnectController and the rest follow; the stub does not use them.
};
static_assert(offsetof(BootServices, allocate_pages) == 40);
static_assert(offsetof(BootServices, handle_protocol) == 152);
static_assert(offsetof(BootServices, exit_boot_services) == 232);
static_assert(offsetof(BootServices, set_watchdog_timer) == 256);

struct ConfigurationTable {
  Guid vendor_guid;
  void* vendor_table;
};
static_assert(sizeof(ConfigurationTable) == 24);

struct SystemTable {
  TableHeader hdr;
  const Char16* firmware_vendor;
  uint32_t firmware_revision;
  Handle console_in_handle;
  void* con_in;
  Handle console_out_handle;
  SimpleTextOutput* con_out;
  Handle standard_error_handle;
  SimpleTextOutput* std_err;
  void* runtime_services;
  BootServices* boot_services;
  uint64_t number_of_table_entries;
  ConfigurationTable* configuration_table;
};
static_assert(offsetof(SystemTable, boot_services) == 96);
static_assert(offsetof(SystemTable, configuration_table) == 112);

// EFI_LOADED_IMAGE_PROTOCOL.
struct LoadedImage {
  uint32_t revision;
  Handle parent_handle;
  SystemTable* system_table;
  Handle device_handle;
  void* file_path;
  void* reserved;
  uint32_t load_options_size;  // in bytes
  void* load_options;
  void* image_base;
  uint64_t image_size;
  MemoryType image_code_type;
  MemoryType image_data_type;
  void* unload;
};
static_assert(offsetof(LoadedImage, load_options_size) == 48);
static_assert(offsetof(LoadedImage, load_options) == 56);

// EFI_FILE_PROTOCOL (revision 1 members).
struct File {
  uint64_t revision;
  Status (*open)(File* self, File** new_handle, const Char16* file_name, uint64_t open_mode,
                 uint64_t attributes);
  Status (*close)(File* self);
  void* remove;
  Status (*read)(File* self, uint64_t* buffer_size, void* buffer);
  void* write;
  Status (*get_position)(File* self, uint64_t* position);
  Status (*set_position)(File* self, uint64_t position);
  void* get_info;
  void* set_info;
  void* flush;
};
inline constexpr uint64_t kFileModeRead = 1;
// SetPosition to this value moves to the end of the file.
inline constexpr uint64_t kFilePositionEnd = ~uint64_t{0};

// EFI_SIMPLE_FILE_SYSTEM_PROTOCOL.
struct SimpleFileSystem {
  uint64_t revision;
  Status (*open_volume)(SimpleFileSystem* self, File** root);
};

inline constexpr Guid kLoadedImageProtocolGuid = {
    0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
inline constexpr Guid kSimpleFileSystemProtocolGuid = {
    0x964e5b22, 0x6459, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

}  // namespace arch::efi

#endif  // ARCH_X86_64_EFI_EFI_H_
