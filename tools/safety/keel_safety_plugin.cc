// keel-safety: the clang plugin at the core of Keel's safety gate.
//
// Loaded into clang++-19 by tools/safety/lint.py:
//   clang++-19 -fsyntax-only ... -Xclang -load -Xclang keel_safety_plugin.so
//     -Xclang -plugin -Xclang keel-safety
//     -Xclang -plugin-arg-keel-safety -Xclang root=/abs/root
//     -Xclang -plugin-arg-keel-safety -Xclang untrusted=/abs/dir   (repeatable)
//     -Xclang -plugin-arg-keel-safety -Xclang trusted=/abs/dir     (fixtures only)
//
// It walks the parsed program (after macro expansion and template
// instantiation) and judges every node whose *expansion* location is in an
// untrusted file (kernel/, drivers/, examples/, lib/ or the fixture directory).
// Code in ostd/, system headers and their template instantiations is skipped.
// Findings are printed on stdout, one per line, tab separated, for lint.py:
//   @keel V <file> <line> <rule> <message>     a violation
//   @keel I <file> <line> <angled> <spelled> <resolved real path or empty>
//   @keel D <mangled name>                      external definition in untrusted code
//   @keel X <mangled name> <file> <line> <name> declared-only, first declared in
//                                               untrusted code, used
// The driver judges includes against kernel_headers.allow and the D/X records
// across the whole tree (rule extern_decl). Paths are real paths.

#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/PPCallbacks.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace keel_safety {
namespace {

using namespace clang;  // Plugin-local, inside an anonymous namespace.

// Where a declaration or a piece of code lives.
enum class FileKind {
  kUntrusted,   // kernel/, drivers/, examples/, lib/, the fixture directory.
  kOstdPublic,  // ostd/ outside internal/ and ostd/arch/, or a fixture trusted dir.
  kAllowed,     // ktest/ktest.h.
  kSystem,      // libstdc++, abseil, gtest, compiler headers, builtins.
  kInternal,    // arch/, ostd internals, anything else in the repository.
};

struct Config {
  std::string root;
  std::vector<std::string> untrusted;
  std::vector<std::string> trusted;
  std::vector<std::string> allowed;  // Exact files, e.g. ktest/ktest.h and ktest/test_case.h.
};

// Public ostd headers that grant more than the rest of the public API, and
// the one untrusted directory that may refer to their declarations (paths
// relative to the root). Keep in sync with RESTRICTED_HEADERS in lint.py.
struct Restricted {
  const char* header_dir;
  const char* user_dir;
  const char* why;
};
constexpr Restricted kRestricted[] = {
    {"ostd/ffi/", "kernel/module/",
     "module memory and foreign calls write and run arbitrary ring-0 code; only the module "
     "loader (kernel/module/) may use them"},
};

bool HasPrefixDir(llvm::StringRef path, llvm::StringRef dir) {
  if (dir.empty()) return false;
  if (!path.starts_with(dir)) return false;
  return path.size() == dir.size() || dir.ends_with("/") || path[dir.size()] == '/';
}

// __builtin_* functions untrusted code may call: arithmetic, bit counting and
// compile-time queries that cannot touch memory.
const llvm::StringSet<>& AllowedBuiltins() {
  static const llvm::StringSet<> kSet = {
      "__builtin_add_overflow",
      "__builtin_sub_overflow",
      "__builtin_mul_overflow",
      "__builtin_sadd_overflow",
      "__builtin_saddl_overflow",
      "__builtin_saddll_overflow",
      "__builtin_uadd_overflow",
      "__builtin_uaddl_overflow",
      "__builtin_uaddll_overflow",
      "__builtin_ssub_overflow",
      "__builtin_ssubl_overflow",
      "__builtin_ssubll_overflow",
      "__builtin_usub_overflow",
      "__builtin_usubl_overflow",
      "__builtin_usubll_overflow",
      "__builtin_smul_overflow",
      "__builtin_smull_overflow",
      "__builtin_smulll_overflow",
      "__builtin_umul_overflow",
      "__builtin_umull_overflow",
      "__builtin_umulll_overflow",
      "__builtin_expect",
      "__builtin_expect_with_probability",
      "__builtin_clz",
      "__builtin_clzl",
      "__builtin_clzll",
      "__builtin_clzs",
      "__builtin_clzg",
      "__builtin_ctz",
      "__builtin_ctzl",
      "__builtin_ctzll",
      "__builtin_ctzs",
      "__builtin_ctzg",
      "__builtin_popcount",
      "__builtin_popcountl",
      "__builtin_popcountll",
      "__builtin_popcountg",
      "__builtin_parity",
      "__builtin_parityl",
      "__builtin_parityll",
      "__builtin_ffs",
      "__builtin_ffsl",
      "__builtin_ffsll",
      "__builtin_clrsb",
      "__builtin_clrsbl",
      "__builtin_clrsbll",
      "__builtin_bswap16",
      "__builtin_bswap32",
      "__builtin_bswap64",
      "__builtin_rotateleft8",
      "__builtin_rotateleft16",
      "__builtin_rotateleft32",
      "__builtin_rotateleft64",
      "__builtin_rotateright8",
      "__builtin_rotateright16",
      "__builtin_rotateright32",
      "__builtin_rotateright64",
      "__builtin_FILE",
      "__builtin_FILE_NAME",
      "__builtin_LINE",
      "__builtin_FUNCTION",
      "__builtin_FUNCSIG",
      "__builtin_COLUMN",
      "__builtin_source_location",
      "__builtin_constant_p",
      "__builtin_is_constant_evaluated",
      "__builtin_trap",
      "__builtin_abs",
      "__builtin_labs",
      "__builtin_llabs",
  };
  return kSet;
}

// Raw memory and C string functions (and their __builtin_ / _chk forms).
const llvm::StringSet<>& MemFunctions() {
  static const llvm::StringSet<> kSet = {
      "memcpy",  "memset",  "memmove", "memcmp",   "memchr",         "memrchr",       "mempcpy",
      "memccpy", "bcopy",   "bzero",   "bcmp",     "explicit_bzero", "strcpy",        "strncpy",
      "stpcpy",  "stpncpy", "strcat",  "strncat",  "strlen",         "strnlen",       "strcmp",
      "strncmp", "strchr",  "strrchr", "strstr",   "strdup",         "strndup",       "strlcpy",
      "strlcat", "wmemcpy", "wmemset", "wmemmove", "wmemcmp",        "wmemchr",       "wcslen",
      "wcscpy",  "wcsncpy", "wcscat",  "wcscmp",   "memcpy_inline",  "memset_inline",
  };
  return kSet;
}

// std:: functions that hand out or use raw storage: name -> rule.
const llvm::StringMap<const char*>& StdRawMemory() {
  static const llvm::StringMap<const char*> kMap = {
      {"construct_at", "placement_new"},
      {"start_lifetime_as", "placement_new"},
      {"start_lifetime_as_array", "placement_new"},
      {"launder", "raw_memory"},
      {"to_address", "raw_memory"},
      {"destroy_at", "raw_memory"},
      {"destroy", "raw_memory"},
      {"destroy_n", "raw_memory"},
      {"assume_aligned", "raw_memory"},
      {"uninitialized_copy", "raw_memory"},
      {"uninitialized_copy_n", "raw_memory"},
      {"uninitialized_fill", "raw_memory"},
      {"uninitialized_fill_n", "raw_memory"},
      {"uninitialized_move", "raw_memory"},
      {"uninitialized_move_n", "raw_memory"},
      {"uninitialized_default_construct", "raw_memory"},
      {"uninitialized_default_construct_n", "raw_memory"},
      {"uninitialized_value_construct", "raw_memory"},
      {"uninitialized_value_construct_n", "raw_memory"},
      {"allocator", "raw_new"},
      {"allocator_traits", "raw_new"},
      {"as_writable_bytes", "span_from_pointer"},
      {"get_temporary_buffer", "raw_new"},
      {"return_temporary_buffer", "raw_new"},
      // Promises the optimizer that a path is never taken, so it may drop the
      // checks on the others (a bounds check before an index, for one).
      {"unreachable", "assume"},
  };
  return kMap;
}

// std:: functions that may take a raw pointer argument because they cannot
// read or write through it (they move, compare or hash the pointer value).
const llvm::StringSet<>& StdPointerValueFunctions() {
  static const llvm::StringSet<> kSet = {
      "swap",
      "exchange",
      "move",
      "forward",
      "addressof",
      "__addressof",
      "min",
      "max",
      "minmax",
      "clamp",
      "to_underlying",
      "as_const",
      "move_if_noexcept",
      "bit_cast",
      "operator=",
      "operator==",
      "operator!=",
      "operator<",
      "operator>",
      "operator<=",
      "operator>=",
      "operator<=>",
      "value_or",
      "emplace",
      "make_pair",
      "make_tuple",
      "tie",
      "forward_as_tuple",
      "make_optional",
      "hash",
      "is_constant_evaluated",
      "distance",
      "__is_constant_evaluated",
  };
  return kSet;
}

// Function-object classes in std whose operator() only compares or hashes.
const llvm::StringSet<>& StdPointerValueClasses() {
  static const llvm::StringSet<> kSet = {
      "hash",          "less",     "greater",      "less_equal",
      "greater_equal", "equal_to", "not_equal_to", "compare_three_way",
      "__min_fn",      "__max_fn", "__minmax_fn",  "__clamp_fn",
      "__swap",        "identity",
  };
  return kSet;
}

bool IsInternalNamespaceName(llvm::StringRef name) {
  return name == "internal" || name == "detail" || name.ends_with("_internal") ||
         name.ends_with("_detail");
}

// The outermost namespace enclosing `dc` (semantically), or null.
const NamespaceDecl* OutermostNamespace(const DeclContext* dc) {
  const NamespaceDecl* outer = nullptr;
  for (; dc != nullptr; dc = dc->getParent()) {
    if (const auto* ns = dyn_cast<NamespaceDecl>(dc)) outer = ns;
  }
  return outer;
}

bool InStd(const Decl* d) {
  const NamespaceDecl* ns = OutermostNamespace(d->getDeclContext());
  return ns != nullptr && ns->getName() == "std";
}

bool IsReservedName(llvm::StringRef name) {
  return name.size() >= 2 && name[0] == '_' &&
         (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z'));
}

// True if a value of type `t` holds a pointer: pointer, reference, member
// pointer, nullptr_t, or an array/record with such an element, field or base.
bool ContainsPointer(QualType t, llvm::SmallPtrSetImpl<const Type*>& seen) {
  if (t.isNull()) return false;
  const Type* ty = t.getCanonicalType().getTypePtr();
  if (!seen.insert(ty).second) return false;
  if (ty->isAnyPointerType() || ty->isReferenceType() || ty->isMemberPointerType() ||
      ty->isNullPtrType() || ty->isBlockPointerType()) {
    return true;
  }
  if (const auto* arr = dyn_cast<ArrayType>(ty))
    return ContainsPointer(arr->getElementType(), seen);
  if (const auto* atomic = dyn_cast<AtomicType>(ty))
    return ContainsPointer(atomic->getValueType(), seen);
  if (const auto* rec = ty->getAsRecordDecl()) {
    const RecordDecl* def = rec->getDefinition();
    if (def == nullptr) return false;
    for (const FieldDecl* f : def->fields()) {
      if (ContainsPointer(f->getType(), seen)) return true;
    }
    if (const auto* cxx = dyn_cast<CXXRecordDecl>(def)) {
      for (const CXXBaseSpecifier& base : cxx->bases()) {
        if (ContainsPointer(base.getType(), seen)) return true;
      }
    }
  }
  return false;
}

bool ContainsPointer(QualType t) {
  llvm::SmallPtrSet<const Type*, 16> seen;
  return ContainsPointer(t, seen);
}

bool IsObjectPointer(QualType t) {
  QualType c = t.getCanonicalType();
  if (!c->isPointerType()) return false;
  return !c->getPointeeType()->isFunctionType();
}

bool InNamespace(const Decl* d, llvm::StringRef name);
bool HasAnnotation(const Decl* d, llvm::StringRef what);

// True if a value of type `t` can borrow memory it does not own: a raw object
// pointer or a reference, a std::span/string_view/reference_wrapper, or a
// class (a lambda's closure, a functor) with such a member, through std and
// ostd templates (their type arguments) and the caller's own classes (their
// members and bases). ostd's shared handles (RefPtr, TaskRef) own what they
// point to and are not looked into. `why` names the type found.
bool HoldsBorrow(QualType t, llvm::SmallPtrSetImpl<const Type*>& seen, std::string& why,
                 int depth = 0) {
  if (t.isNull()) return false;
  if (depth > 16) {  // too deep to judge: fail closed
    why = "a type nested more than 16 levels deep";
    return true;
  }
  QualType c = t.getCanonicalType();
  const Type* ty = c.getTypePtr();
  if (!seen.insert(ty).second) return false;
  if (ty->isReferenceType() || ty->isBlockPointerType() ||
      (ty->isPointerType() && !ty->getPointeeType()->isFunctionType())) {
    why = t.getAsString();
    return true;
  }
  if (const auto* arr = dyn_cast<ArrayType>(ty))
    return HoldsBorrow(arr->getElementType(), seen, why, depth + 1);
  if (const auto* atomic = dyn_cast<AtomicType>(ty))
    return HoldsBorrow(atomic->getValueType(), seen, why, depth + 1);
  const CXXRecordDecl* rd = ty->getAsCXXRecordDecl();
  if (rd == nullptr) return false;
  auto args = [&](const CXXRecordDecl* r) {
    if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(r)) {
      for (const TemplateArgument& a : spec->getTemplateArgs().asArray()) {
        if (a.getKind() == TemplateArgument::Type &&
            HoldsBorrow(a.getAsType(), seen, why, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  };
  llvm::StringRef name = rd->getIdentifier() != nullptr ? rd->getName() : "";
  bool in_std = InStd(rd), in_ostd = InNamespace(rd, "ostd");
  if (in_std && (name == "span" || name == "basic_string_view" || name == "reference_wrapper")) {
    why = t.getAsString();
    return true;
  }
  if (in_ostd) {
    // Shared owners: what they point to is theirs.
    if (name == "RefPtr" || name == "TaskRef" || name == "AtomicPtr") return false;
    // Views that borrow (OSTD_BORROWING_VIEW: BufferSink, and the mode tag
    // of kernel-memory cursors, VmReader/VmWriter<Infallible>, found through
    // the type arguments below).
    if (HasAnnotation(rd, "keel_borrowing_view")) {
      why = t.getAsString();
      return true;
    }
    // ostd's other classes own what they point to (Box, Vec, Breakpoint,
    // IoMem...): judged by their type arguments.
    return args(rd);
  }
  if (in_std && args(rd)) return true;
  // Everything else, std's other classes included (an initializer_list, an
  // atomic_ref, an insert iterator hold pointers): by members and bases.
  const CXXRecordDecl* def = rd->getDefinition();
  if (def == nullptr) return false;
  for (const FieldDecl* f : def->fields()) {
    if (HoldsBorrow(f->getType(), seen, why, depth + 1)) return true;
  }
  for (const CXXBaseSpecifier& base : def->bases()) {
    if (HoldsBorrow(base.getType(), seen, why, depth + 1)) return true;
  }
  return false;
}

bool HoldsBorrow(QualType t, std::string& why) {
  llvm::SmallPtrSet<const Type*, 32> seen;
  return HoldsBorrow(t, seen, why);
}

// A class marked OSTD_SCOPED_GUARD (ostd/scoped_guard.h): an interrupt,
// preemption or lock guard that must stay a local variable.
// A class derived from one is a guard too (a member of the derived type
// would outlive its scope just the same).
bool IsScopedGuard(QualType t, int depth = 0) {
  const CXXRecordDecl* rd = t.getCanonicalType()->getAsCXXRecordDecl();
  if (rd == nullptr || depth > 16) return false;
  for (const Decl* d : rd->redecls()) {
    for (const auto* a : d->specific_attrs<AnnotateAttr>()) {
      if (a->getAnnotation() == "keel_scoped_guard") return true;
    }
  }
  if (const CXXRecordDecl* def = rd->getDefinition()) {
    for (const CXXBaseSpecifier& base : def->bases()) {
      if (IsScopedGuard(base.getType(), depth + 1)) return true;
    }
  }
  return false;
}

bool HasAnnotation(const Decl* d, llvm::StringRef what) {
  if (d == nullptr) return false;
  for (const Decl* r : d->redecls()) {
    for (const auto* a : r->specific_attrs<AnnotateAttr>()) {
      if (a->getAnnotation() == what) return true;
    }
  }
  return false;
}

// A class marked OSTD_HANDLE_OWNED (ostd::Task): untrusted code keeps one only
// through its owning handle (TaskRef).
bool IsHandleOwned(QualType t) {
  const CXXRecordDecl* rd = t.getCanonicalType()->getAsCXXRecordDecl();
  return rd != nullptr && HasAnnotation(rd, "keel_handle_owned");
}

// True if a value of type `t` holds a raw pointer or reference to a
// handle-owned class: directly or through pointers, arrays, atomics, the
// type arguments of std and ostd templates (ostd::AtomicPtr<T> and
// std::reference_wrapper<T> hold a T*), or a lambda closure's captures.
// `why` names the type found.
bool HoldsHandleOwnedPointer(QualType t, std::string& why, int depth = 0) {
  if (t.isNull() || depth > 16) return false;
  const Type* ty = t.getCanonicalType().getTypePtr();
  if (ty->isPointerType() || ty->isReferenceType()) {
    if (IsHandleOwned(ty->getPointeeType())) {
      why = t.getAsString();
      return true;
    }
    return HoldsHandleOwnedPointer(ty->getPointeeType(), why, depth + 1);
  }
  if (const auto* arr = dyn_cast<ArrayType>(ty))
    return HoldsHandleOwnedPointer(arr->getElementType(), why, depth + 1);
  if (const auto* atomic = dyn_cast<AtomicType>(ty))
    return HoldsHandleOwnedPointer(atomic->getValueType(), why, depth + 1);
  const CXXRecordDecl* rd = ty->getAsCXXRecordDecl();
  if (rd == nullptr) return false;
  if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(rd)) {
    llvm::StringRef name = rd->getIdentifier() != nullptr ? rd->getName() : "";
    bool holds_pointer_to_arg = (InNamespace(rd, "ostd") && name == "AtomicPtr") ||
                                (InStd(rd) && name == "reference_wrapper");
    for (const TemplateArgument& a : spec->getTemplateArgs().asArray()) {
      if (a.getKind() != TemplateArgument::Type) continue;
      if (holds_pointer_to_arg && IsHandleOwned(a.getAsType())) {
        why = t.getAsString();
        return true;
      }
      if (HoldsHandleOwnedPointer(a.getAsType(), why, depth + 1)) return true;
    }
  }
  if (rd->isLambda()) {
    if (const CXXRecordDecl* def = rd->getDefinition()) {
      for (const FieldDecl* f : def->fields()) {
        if (HoldsHandleOwnedPointer(f->getType(), why, depth + 1)) return true;
      }
    }
  }
  return false;
}

// A function that keeps a callable beyond the call (OSTD_STORES_CALLABLE:
// Spawn, DeferredWork::Create, IrqLine::Bind), or a class whose objects ostd
// keeps (OSTD_STORED_OBJECT: probe handlers).
bool StoresCallable(const FunctionDecl* fd) {
  if (fd == nullptr) return false;
  if (HasAnnotation(fd, "keel_stores_callable")) return true;
  if (const FunctionDecl* pattern = fd->getTemplateInstantiationPattern()) {
    if (HasAnnotation(pattern, "keel_stores_callable")) return true;
  }
  if (const FunctionTemplateDecl* t = fd->getPrimaryTemplate()) {
    if (HasAnnotation(t->getTemplatedDecl(), "keel_stores_callable")) return true;
  }
  return false;
}

bool InNamespace(const Decl* d, llvm::StringRef name) {
  const NamespaceDecl* ns = OutermostNamespace(d->getDeclContext());
  return ns != nullptr && ns->getName() == name;
}

// Members and free functions that hand out an unchecked position inside a
// trusted container: a raw pointer or iterator that can be dereferenced past
// the end (`*s.end()`, `s.data()` of an empty span) with no arithmetic at all.
const llvm::StringSet<>& IteratorFunctions() {
  static const llvm::StringSet<> kSet = {
      "begin", "end", "cbegin", "cend", "rbegin", "rend", "crbegin", "crend", "data",
  };
  return kSet;
}

// Iterator class types of the standard library (positions into a container).
bool IsIteratorClass(QualType t) {
  const auto* rd = t.getCanonicalType()->getAsCXXRecordDecl();
  if (rd == nullptr || rd->getIdentifier() == nullptr) return false;
  llvm::StringRef name = rd->getName();
  if (InNamespace(rd, "__gnu_cxx")) return name == "__normal_iterator";
  if (!InStd(rd)) return false;
  return name.ends_with("_iterator") || name == "counted_iterator" || name == "subrange";
}

// True if a variable or member of type `t` left uninitialized holds a
// garbage pointer: a pointer, or an array of them.
bool IsUninitializablePointer(QualType t) {
  QualType c = t.getCanonicalType();
  while (const auto* arr = dyn_cast<ArrayType>(c.getTypePtr())) c = arr->getElementType();
  return c->isPointerType() || c->isMemberPointerType();
}

class Checker {
 public:
  Checker(const Config& config, CompilerInstance& ci)
      : config_(config), sm_(ci.getSourceManager()) {}

  const Config& config() const { return config_; }
  SourceManager& sm() { return sm_; }

  std::string RealPath(FileID fid) {
    auto it = real_paths_.find(fid);
    if (it != real_paths_.end()) return it->second;
    std::string path;
    if (OptionalFileEntryRef fe = sm_.getFileEntryRefForID(fid)) {
      llvm::StringRef real = fe->getFileEntry().tryGetRealPathName();
      if (!real.empty()) {
        path = real.str();
      } else {
        llvm::SmallString<256> buf;
        if (!llvm::sys::fs::real_path(fe->getName(), buf))
          path = std::string(buf.str());
        else
          path = fe->getName().str();
      }
    }
    real_paths_[fid] = path;
    return path;
  }

  FileKind KindOfPath(llvm::StringRef path, bool system) {
    for (const std::string& d : config_.untrusted) {
      if (HasPrefixDir(path, d)) return FileKind::kUntrusted;
    }
    for (const std::string& d : config_.trusted) {
      if (HasPrefixDir(path, d)) return FileKind::kOstdPublic;
    }
    if (system) return FileKind::kSystem;
    std::string root = config_.root;
    if (HasPrefixDir(path, root)) {
      llvm::StringRef rel = path.substr(root.size());
      rel.consume_front("/");
      for (const std::string& f : config_.allowed) {
        if (path == f) return FileKind::kAllowed;
      }
      if (rel.starts_with("ostd/")) {
        if (rel.starts_with("ostd/arch/") || rel.contains("/internal/")) return FileKind::kInternal;
        return FileKind::kOstdPublic;
      }
      return FileKind::kInternal;
    }
    return FileKind::kInternal;
  }

  // The kind of the file holding the expansion of `loc`; invalid locations
  // (builtins, implicit declarations) count as system.
  FileKind KindOf(SourceLocation loc) {
    if (loc.isInvalid()) return FileKind::kSystem;
    SourceLocation exp = sm_.getExpansionLoc(loc);
    FileID fid = sm_.getFileID(exp);
    auto it = kinds_.find(fid);
    if (it != kinds_.end()) return it->second;
    FileKind kind = FileKind::kSystem;
    std::string path = RealPath(fid);
    if (!path.empty()) kind = KindOfPath(path, SrcMgr::isSystem(sm_.getFileCharacteristic(exp)));
    kinds_[fid] = kind;
    return kind;
  }

  // True if the code at `loc` is spelled inside GoogleTest/GoogleMock (a
  // system header), e.g. the `new` in the expansion of TEST() in a host test.
  bool SpelledInTestFramework(SourceLocation loc) {
    if (!loc.isMacroID()) return false;
    SourceLocation spelling = sm_.getSpellingLoc(loc);
    if (KindOf(spelling) != FileKind::kSystem) return false;
    std::string path = RealPath(sm_.getFileID(spelling));
    return path.find("/gtest/") != std::string::npos || path.find("/gmock/") != std::string::npos;
  }

  bool Untrusted(SourceLocation loc) {
    return loc.isValid() && KindOf(loc) == FileKind::kUntrusted;
  }

  void Report(SourceLocation loc, llvm::StringRef rule, const llvm::Twine& message) {
    SourceLocation exp = sm_.getExpansionLoc(loc);
    FileID fid = sm_.getFileID(exp);
    unsigned line = sm_.getLineNumber(fid, sm_.getFileOffset(exp));
    std::string text = message.str();
    for (char& c : text) {
      if (c == '\t' || c == '\n') c = ' ';
    }
    std::string key = RealPath(fid) + ":" + std::to_string(line) + ":" + rule.str();
    if (!reported_.insert(key).second) return;
    llvm::outs() << "@keel\tV\t" << RealPath(fid) << "\t" << line << "\t" << rule << "\t" << text
                 << "\n";
  }

  // Judges where a declaration may be referenced from untrusted code.
  // Returns null if allowed, else a description of why not.
  const char* DeclProblem(const Decl* d) {
    bool internal = false;
    bool untrusted = false;
    for (const Decl* r : d->redecls()) {
      switch (KindOf(r->getLocation())) {
        case FileKind::kSystem:
        case FileKind::kAllowed:
          return nullptr;
        case FileKind::kOstdPublic:
          if (!InInternalNamespace(r)) return nullptr;
          internal = true;
          break;
        case FileKind::kInternal:
          internal = true;
          break;
        case FileKind::kUntrusted:
          untrusted = true;
          break;
      }
    }
    if (internal) return "is not part of ostd's public API";
    (void)untrusted;
    return nullptr;
  }

  // The function or class whose body is being checked (set by the Visitor).
  void set_context(const DeclContext* dc) { context_ = dc; }
  const DeclContext* context() const { return context_; }

  // True if `owner` declares the code being checked (its function, or a class
  // enclosing it) a friend.
  bool BefriendsContext(const CXXRecordDecl* owner) const {
    for (const DeclContext* dc = context_; dc != nullptr; dc = dc->getParent()) {
      const auto* fn = dyn_cast<FunctionDecl>(dc);
      const auto* rec = dyn_cast<CXXRecordDecl>(dc);
      if (fn == nullptr && rec == nullptr) continue;
      for (const FriendDecl* f : owner->friends()) {
        if (rec != nullptr) {
          if (const TypeSourceInfo* t = f->getFriendType()) {
            const CXXRecordDecl* named = t->getType()->getAsCXXRecordDecl();
            if (named != nullptr && named->getCanonicalDecl() == rec->getCanonicalDecl()) {
              return true;
            }
          }
        }
        if (fn != nullptr) {
          if (const auto* ffn = dyn_cast_or_null<FunctionDecl>(f->getFriendDecl())) {
            if (ffn->getCanonicalDecl() == fn->getCanonicalDecl()) return true;
          }
        }
      }
    }
    return false;
  }

  bool InInternalNamespace(const Decl* d) {
    if (const auto* ns = dyn_cast<NamespaceDecl>(d)) {
      if (IsInternalNamespaceName(ns->getName())) return true;
    }
    for (const DeclContext* dc = d->getDeclContext(); dc != nullptr; dc = dc->getParent()) {
      if (const auto* ns = dyn_cast<NamespaceDecl>(dc)) {
        if (IsInternalNamespaceName(ns->getName())) return true;
      }
    }
    return false;
  }

  static std::string NameOf(const Decl* d) {
    if (const auto* nd = dyn_cast<NamedDecl>(d)) return nd->getQualifiedNameAsString();
    return "declaration";
  }

  // Every reference from untrusted code to a declaration goes through here.
  void CheckRef(const Decl* d, SourceLocation use) {
    if (d == nullptr || !Untrusted(use)) return;
    if (const auto* shadow = dyn_cast<UsingShadowDecl>(d)) d = shadow->getTargetDecl();
    if (const auto* ns_alias = dyn_cast<NamespaceAliasDecl>(d)) d = ns_alias->getNamespace();
    if (const char* why = DeclProblem(d)) {
      Report(use, "internal_decl",
             "'" + NameOf(d) + "' " + why + " (declared in " + DeclFile(d) +
                 "); untrusted code may use only ostd's public API");
    }
    CheckRestricted(d, use);
    // A private member of a trusted class: reachable from untrusted code only
    // through tricks that skip access checks (explicit instantiation), unless
    // the class names the referring code a friend (ostd's pass-key and CRTP
    // layers, e.g. Derives<D, B> befriends D).
    if (const auto* owner = dyn_cast<CXXRecordDecl>(d->getDeclContext())) {
      if (d->getAccess() == AS_private && KindOf(owner->getLocation()) != FileKind::kUntrusted &&
          !BefriendsContext(owner)) {
        Report(use, "internal_decl",
               "'" + NameOf(d) + "' is a private member of a trusted class (declared in " +
                   DeclFile(d) + ")");
      }
    }
    const auto* nd = dyn_cast<NamedDecl>(d);
    if (nd == nullptr || nd->getIdentifier() == nullptr) {
      if (const auto* fd = dyn_cast<FunctionDecl>(d)) CheckOperatorNewDelete(fd, use);
      return;
    }
    llvm::StringRef name = nd->getName();
    if (InStd(d)) {
      auto it = StdRawMemory().find(name);
      if (it != StdRawMemory().end()) {
        Report(use, it->second, "std::" + name + " works on raw storage; use ostd's typed APIs");
      }
    }
    if (const auto* fd = dyn_cast<FunctionDecl>(d)) CheckFunction(fd, name, use);
  }

  // The path of the file holding the expansion of `loc`, relative to the
  // root (absolute if outside it).
  std::string RootRelative(SourceLocation loc) {
    std::string path = RealPath(sm_.getFileID(sm_.getExpansionLoc(loc)));
    llvm::StringRef rel(path);
    if (HasPrefixDir(rel, config_.root)) {
      rel = rel.substr(config_.root.size());
      rel.consume_front("/");
    }
    return rel.str();
  }

  // A declaration from a restricted ostd header (kRestricted), used outside
  // the directory allowed to use it.
  void CheckRestricted(const Decl* d, SourceLocation use) {
    for (const Decl* r : d->redecls()) {
      if (r->getLocation().isInvalid()) continue;
      std::string decl_file = RootRelative(r->getLocation());
      for (const Restricted& entry : kRestricted) {
        if (!llvm::StringRef(decl_file).starts_with(entry.header_dir)) continue;
        if (llvm::StringRef(RootRelative(use)).starts_with(entry.user_dir)) return;
        Report(use, "restricted_capability",
               "'" + NameOf(d) + "' (declared in " + decl_file + ") is restricted: " + entry.why);
        return;
      }
    }
  }

  std::string DeclFile(const Decl* d) {
    SourceLocation loc = d->getLocation();
    if (loc.isInvalid()) return "<builtin>";
    std::string path = RealPath(sm_.getFileID(sm_.getExpansionLoc(loc)));
    llvm::StringRef rel(path);
    if (HasPrefixDir(rel, config_.root)) {
      rel = rel.substr(config_.root.size());
      rel.consume_front("/");
    }
    return rel.str();
  }

  void CheckOperatorNewDelete(const FunctionDecl* fd, SourceLocation use) {
    switch (fd->getOverloadedOperator()) {
      case OO_New:
      case OO_Delete:
      case OO_Array_New:
      case OO_Array_Delete:
        Report(use, "raw_new",
               "operator new/delete is raw allocation; use ostd::Box / ostd::RefPtr");
        break;
      default:
        break;
    }
  }

  void CheckFunction(const FunctionDecl* fd, llvm::StringRef name, SourceLocation use) {
    llvm::StringRef base = name;
    if (base.starts_with("__builtin___") && base.ends_with("_chk")) {
      base = base.drop_front(strlen("__builtin___")).drop_back(strlen("_chk"));
    } else if (base.starts_with("__builtin_")) {
      base = base.drop_front(strlen("__builtin_"));
    } else if (base.starts_with("__") && base.ends_with("_chk")) {
      base = base.drop_front(2).drop_back(strlen("_chk"));
    }
    unsigned builtin = fd->getBuiltinID();
    bool c_like = builtin != 0 || InStd(fd) || fd->isExternC() ||
                  fd->getDeclContext()->getRedeclContext()->isTranslationUnit();
    if (c_like && MemFunctions().contains(base)) {
      Report(use, "memfunc",
             name +
                 " on raw memory is not allowed; use std::span / std::copy / "
                 "ostd::VmWriter");
      return;
    }
    if (builtin != 0 && name.starts_with("__") && !AllowedBuiltins().contains(name)) {
      Report(use, "builtin", "compiler builtin " + name + " is not allowed in untrusted code");
    }
  }

  // Qualities of a type that untrusted code may not use anywhere.
  enum : unsigned { kVolatile = 1, kUnion = 2, kPtrAtomic = 4, kAddrSpace = 8, kGuardArg = 16 };

  unsigned TypeIssues(QualType t, int depth = 0) {
    if (t.isNull() || depth > 12) return 0;
    QualType c = t.getCanonicalType();
    void* key = c.getAsOpaquePtr();
    auto it = type_issues_.find(key);
    if (it != type_issues_.end()) return it->second;
    type_issues_[key] = 0;  // Breaks cycles.
    unsigned r = 0;
    if (c.isVolatileQualified()) r |= kVolatile;
    if (c.hasAddressSpace()) r |= kAddrSpace;
    const Type* ty = c.getTypePtr();
    if (const auto* p = dyn_cast<PointerType>(ty)) {
      r |= TypeIssues(p->getPointeeType(), depth + 1);
    } else if (const auto* ref = dyn_cast<ReferenceType>(ty)) {
      r |= TypeIssues(ref->getPointeeType(), depth + 1);
    } else if (const auto* mp = dyn_cast<MemberPointerType>(ty)) {
      r |= TypeIssues(mp->getPointeeType(), depth + 1);
      r |= TypeIssues(QualType(mp->getClass(), 0), depth + 1);
    } else if (const auto* arr = dyn_cast<ArrayType>(ty)) {
      r |= TypeIssues(arr->getElementType(), depth + 1);
    } else if (const auto* fn = dyn_cast<FunctionType>(ty)) {
      r |= TypeIssues(fn->getReturnType(), depth + 1);
      if (const auto* proto = dyn_cast<FunctionProtoType>(fn)) {
        for (QualType param : proto->param_types()) r |= TypeIssues(param, depth + 1);
        if (proto->getMethodQuals().hasVolatile()) r |= kVolatile;
      }
    } else if (const auto* atomic = dyn_cast<AtomicType>(ty)) {
      if (IsObjectPointer(atomic->getValueType())) r |= kPtrAtomic;
      r |= TypeIssues(atomic->getValueType(), depth + 1);
    } else if (const auto* rec = dyn_cast<RecordType>(ty)) {
      const RecordDecl* rd = rec->getDecl();
      if (rd->isUnion()) r |= kUnion;
      if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(rd)) {
        const TemplateArgumentList& args = spec->getTemplateArgs();
        if (InStd(spec) && (spec->getName() == "atomic" || spec->getName() == "atomic_ref") &&
            args.size() >= 1 && args[0].getKind() == TemplateArgument::Type &&
            IsObjectPointer(args[0].getAsType())) {
          r |= kPtrAtomic;
        }
        for (const TemplateArgument& arg : args.asArray()) {
          r |= ArgIssues(arg, depth + 1);
          if (arg.getKind() == TemplateArgument::Type && IsScopedGuard(arg.getAsType())) {
            r |= kGuardArg;
          }
        }
      }
    }
    type_issues_[key] = r;
    return r;
  }

  unsigned ArgIssues(const TemplateArgument& arg, int depth) {
    if (arg.getKind() == TemplateArgument::Type) return TypeIssues(arg.getAsType(), depth);
    unsigned r = 0;
    if (arg.getKind() == TemplateArgument::Pack) {
      for (const TemplateArgument& a : arg.pack_elements()) r |= ArgIssues(a, depth);
    }
    return r;
  }

  void CheckType(QualType t, SourceLocation loc) {
    if (t.isNull() || !Untrusted(loc)) return;
    unsigned issues = TypeIssues(t);
    if (issues == 0) return;
    std::string spelled = t.getAsString();
    if (issues & kVolatile) {
      Report(loc, "volatile", "type '" + spelled + "' is volatile; use ostd::IoMem / atomics");
    }
    if (issues & kUnion) {
      Report(loc, "union",
             "type '" + spelled +
                 "' is or contains a union (type punning); use std::variant or "
                 "std::bit_cast");
    }
    if (issues & kPtrAtomic) {
      Report(loc, "pointer_atomic", "type '" + spelled + "' is an atomic over a raw pointer");
    }
    if (issues & kGuardArg) {
      Report(loc, "scoped_guard",
             "type '" + spelled +
                 "' holds a scoped guard (IrqGuard, PreemptGuard, SpinLockGuard, MutexGuard) as a "
                 "template argument: a guard is a local variable only, so it cannot outlive its "
                 "scope or be released by another task or CPU");
    }
    if (issues & kAddrSpace) {
      Report(loc, "address_space",
             "type '" + spelled +
                 "' is in a non-default address space (x86 256/257 are %gs/%fs-relative: "
                 "per-CPU data and the user's TLS base)");
    }
  }

 private:
  const Config& config_;
  SourceManager& sm_;
  llvm::DenseMap<FileID, std::string> real_paths_;
  llvm::DenseMap<FileID, FileKind> kinds_;
  llvm::DenseMap<void*, unsigned> type_issues_;
  std::set<std::string> reported_;
  const DeclContext* context_ = nullptr;
};

class Visitor : public RecursiveASTVisitor<Visitor> {
 public:
  Visitor(Checker& checker, ASTContext& ctx) : c_(checker), ctx_(ctx) {}

  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return false; }

  // Declarations outside untrusted files (system headers, ostd) and their
  // template instantiations are not checked: skip them entirely.
  bool TraverseDecl(Decl* d) {
    if (d == nullptr) return true;
    if (!isa<TranslationUnitDecl>(d) && !isa<LinkageSpecDecl>(d) &&
        !c_.Untrusted(d->getLocation())) {
      return true;
    }
    // Track the enclosing function or class, for friendship (BefriendsContext).
    const DeclContext* saved = c_.context();
    if (isa<FunctionDecl>(d) || isa<CXXRecordDecl>(d)) c_.set_context(cast<DeclContext>(d));
    bool ok = RecursiveASTVisitor::TraverseDecl(d);
    c_.set_context(saved);
    return ok;
  }

  bool TraverseNestedNameSpecifierLoc(NestedNameSpecifierLoc nns) {
    for (NestedNameSpecifierLoc q = nns; q; q = q.getPrefix()) {
      NestedNameSpecifier* spec = q.getNestedNameSpecifier();
      if (spec->getKind() == NestedNameSpecifier::Namespace) {
        c_.CheckRef(spec->getAsNamespace(), q.getLocalBeginLoc());
      } else if (spec->getKind() == NestedNameSpecifier::NamespaceAlias) {
        c_.CheckRef(spec->getAsNamespaceAlias(), q.getLocalBeginLoc());
      }
    }
    return RecursiveASTVisitor::TraverseNestedNameSpecifierLoc(nns);
  }

  // ---- References ----
  bool VisitDeclRefExpr(DeclRefExpr* e) {
    c_.CheckRef(e->getDecl(), e->getLocation());
    if (const auto* fd = dyn_cast<FunctionDecl>(e->getDecl())) {
      c_.CheckOperatorNewDelete(fd, e->getLocation());
      CheckStoringFunctionTaken(e, fd);
    }
    return true;
  }
  // Rule stored_borrow: a storing function is only called directly (through
  // a function pointer the callable would not be checked).
  void CheckStoringFunctionTaken(const Expr* e, const FunctionDecl* fd) {
    if (!c_.Untrusted(e->getExprLoc()) || !StoresCallable(fd) || direct_callees_.count(e) != 0) {
      return;
    }
    c_.Report(e->getExprLoc(), "stored_borrow",
              "'" + fd->getQualifiedNameAsString() +
                  "' keeps its callable: call it directly (its address would skip the check of "
                  "what the callable holds)");
  }
  bool VisitMemberExpr(MemberExpr* e) {
    SourceLocation loc = e->getMemberLoc().isValid() ? e->getMemberLoc() : e->getBeginLoc();
    c_.CheckRef(e->getMemberDecl(), loc);
    if (const auto* fd = dyn_cast<FunctionDecl>(e->getMemberDecl()))
      CheckStoringFunctionTaken(e, fd);
    // Rule destructor_call: `x.~T()` ends an object that its owner (a scope,
    // a Box, a Vec) destroys again later: a double free with no cast.
    if (isa<CXXDestructorDecl>(e->getMemberDecl()) && c_.Untrusted(loc)) {
      c_.Report(loc, "destructor_call",
                "an explicit destructor call is not allowed (the object is destroyed again by "
                "its owner); let it go out of scope, or Reset() its Box/RefPtr");
    }
    if (const auto* field = dyn_cast<FieldDecl>(e->getMemberDecl())) {
      if (field->getParent()->isUnion() && c_.Untrusted(loc)) {
        c_.Report(loc, "union", "access to a union member is not allowed (type punning)");
      }
    }
    return true;
  }
  bool VisitCXXConstructExpr(CXXConstructExpr* e) {
    c_.CheckRef(e->getConstructor(), e->getLocation());
    CheckSpanConstructor(e);
    return true;
  }
  bool VisitCallExpr(CallExpr* e) {
    if (const Expr* callee = e->getCallee()) {
      const Expr* c = callee->IgnoreParenImpCasts();
      direct_callees_.insert(c);
      if (const auto* m = dyn_cast<MemberExpr>(c)) direct_callees_.insert(m);
    }
    const FunctionDecl* fd = e->getDirectCallee();
    if (fd == nullptr || !c_.Untrusted(e->getExprLoc())) return true;
    c_.CheckRef(fd, e->getExprLoc());
    if (InStd(fd) && fd->getIdentifier() != nullptr && fd->getName() == "bit_cast" &&
        ContainsPointer(fd->getReturnType())) {
      c_.Report(e->getExprLoc(), "int_to_ptr",
                "std::bit_cast to '" + fd->getReturnType().getAsString() +
                    "', which contains a pointer (integer-to-pointer conversion), is not allowed");
    }
    CheckStdRawPointer(e, fd);
    CheckIterator(e, fd);
    CheckStoredCallable(e, fd);
    CheckGroupSpawn(e, fd);
    return true;
  }

  // Rule scoped_guard for TaskGroup::Spawn: the group joins at the end of
  // its scope, so its callable may borrow only what outlives that: locals
  // declared before the group (destroyed after it) and parameters, and
  // only ones that cannot point elsewhere themselves (no pointer or view
  // variable, which could be aimed at a later local). It must be a lambda
  // written at the call.
  void CheckGroupSpawn(CallExpr* e, const FunctionDecl* fd) {
    const auto* md = dyn_cast<CXXMethodDecl>(fd);
    if (md == nullptr || md->getIdentifier() == nullptr || md->getName() != "Spawn" ||
        md->getParent()->getIdentifier() == nullptr || md->getParent()->getName() != "TaskGroup" ||
        !InNamespace(md, "ostd") || e->getNumArgs() == 0) {
      return;
    }
    const auto* call = dyn_cast<CXXMemberCallExpr>(e);
    const VarDecl* group = nullptr;
    if (call != nullptr) {
      if (const auto* ref =
              dyn_cast<DeclRefExpr>(call->getImplicitObjectArgument()->IgnoreParenImpCasts())) {
        group = dyn_cast<VarDecl>(ref->getDecl());
      }
    }
    const auto* lambda = dyn_cast<LambdaExpr>(e->getArg(0)->IgnoreImplicit()->IgnoreParens());
    if (const auto* mt = dyn_cast<MaterializeTemporaryExpr>(e->getArg(0)->IgnoreParens())) {
      lambda = dyn_cast<LambdaExpr>(mt->getSubExpr()->IgnoreImplicit());
    }
    if (group == nullptr || !group->hasLocalStorage() || lambda == nullptr) {
      c_.Report(e->getExprLoc(), "scoped_guard",
                "TaskGroup::Spawn takes a lambda written at the call, on a TaskGroup local to "
                "this function");
      return;
    }
    SourceManager& sm = c_.sm();
    for (const LambdaCapture& cap : lambda->captures()) {
      if (cap.capturesThis()) continue;  // the object outlives this call
      const auto* var = dyn_cast_or_null<VarDecl>(cap.getCapturedVar());
      if (var == nullptr) continue;
      std::string why;
      if (cap.getCaptureKind() != LCK_ByRef) {
        if (HoldsBorrow(var->getType(), why)) {
          c_.Report(cap.getLocation(), "stored_borrow",
                    "'" + var->getName() + "' is copied into a TaskGroup task but holds '" + why +
                        "', which could point at something gone before the group joins");
        }
        continue;
      }
      bool param = isa<ParmVarDecl>(var);
      bool before =
          var->isStaticLocal() ||
          (!param && sm.isBeforeInTranslationUnit(var->getLocation(), group->getLocation()));
      // The variable itself must not be a pointer, reference or view (it
      // could be re-aimed at a local declared after the group).
      QualType vt = var->getType().getCanonicalType();
      const CXXRecordDecl* vrd = vt->getAsCXXRecordDecl();
      bool view = vrd != nullptr && InStd(vrd) && vrd->getIdentifier() != nullptr &&
                  (vrd->getName() == "span" || vrd->getName() == "basic_string_view");
      bool plain = (param && vt->isReferenceType()) ||
                   !(vt->isPointerType() || vt->isReferenceType() || view);
      if (!plain) why = var->getType().getAsString();
      if (!(param || before) || !plain) {
        c_.Report(cap.getLocation(), "scoped_guard",
                  "'" + var->getName() + "' is borrowed by a TaskGroup task but " +
                      (!(param || before) ? std::string("is declared after the group (it goes "
                                                        "before the group joins)")
                                          : "holds '" + why +
                                                "', which could be aimed at something that goes "
                                                "first"));
      }
    }
  }

  // Rule scoped_guard: no pointer or reference to a guard, and no lambda
  // capturing one by reference (a TaskGroup reached from elsewhere would
  // outlive what its tasks borrow, or be used by its own tasks).
  bool VisitLambdaExpr(LambdaExpr* e) {
    if (!c_.Untrusted(e->getBeginLoc())) return true;
    // Rule handle_owned: a closure copying a task pointer can outlive the
    // task (a closure may be stored or outlive the call).
    for (const LambdaCapture& cap : e->captures()) {
      if (!cap.capturesVariable() || cap.getCaptureKind() != LCK_ByCopy) continue;
      const ValueDecl* var = cap.getCapturedVar();
      if (std::string why; var != nullptr && HoldsHandleOwnedPointer(var->getType(), why)) {
        c_.Report(cap.getLocation().isValid() ? cap.getLocation() : e->getBeginLoc(),
                  "handle_owned",
                  "a lambda copies '" + var->getName() + "' (" + why +
                      "): a task is kept only through an ostd::TaskRef; capture a TaskRef or the "
                      "task's id");
      }
    }
    for (const LambdaCapture& cap : e->captures()) {
      if (!cap.capturesVariable() || cap.getCaptureKind() != LCK_ByRef) continue;
      const ValueDecl* var = cap.getCapturedVar();
      if (var != nullptr && IsScopedGuard(var->getType().getNonReferenceType())) {
        c_.Report(cap.getLocation().isValid() ? cap.getLocation() : e->getBeginLoc(),
                  "scoped_guard",
                  "a lambda captures the guard '" + var->getName() +
                      "' by reference: a guard is used only by the scope that made it");
      }
    }
    return true;
  }

  // Rule stored_borrow: a callable that ostd keeps after the call returns (a
  // task's body, deferred work, an interrupt handler) must own what it uses:
  // no capture by reference, no `this`, no raw pointer, span or string_view
  // captured by value (the frame or object they point into can end first:
  // the task then writes a dead stack frame). Join-before-return code uses
  // ostd::ScopedTask, whose callable may borrow.
  void CheckStoredCallable(CallExpr* e, const FunctionDecl* fd) {
    if (!StoresCallable(fd) || e->getNumArgs() == 0) return;
    const Expr* arg = e->getArg(0);
    std::string why;
    if (HoldsBorrow(arg->getType().getNonReferenceType(), why)) {
      c_.Report(arg->getExprLoc(), "stored_borrow",
                "'" + fd->getQualifiedNameAsString() +
                    "' keeps this callable after it returns, but the callable holds '" + why +
                    "' (a reference, this, a raw pointer or a view): it could outlive what that "
                    "points to; capture owning values (RefPtr, Box, copies), or use "
                    "ostd::ScopedTask for a task joined in this scope");
    }
  }
  bool VisitTypeLoc(TypeLoc tl) {
    SourceLocation loc = tl.getBeginLoc();
    if (!c_.Untrusted(loc)) return true;
    c_.CheckType(tl.getType(), loc);
    if (auto tag = tl.getAs<TagTypeLoc>()) c_.CheckRef(tag.getDecl(), loc);
    if (auto td = tl.getAs<TypedefTypeLoc>()) c_.CheckRef(td.getTypedefNameDecl(), loc);
    if (auto inj = tl.getAs<InjectedClassNameTypeLoc>()) c_.CheckRef(inj.getDecl(), loc);
    if (auto ts = tl.getAs<TemplateSpecializationTypeLoc>()) {
      c_.CheckRef(ts.getTypePtr()->getTemplateName().getAsTemplateDecl(), loc);
    }
    if (auto dts = tl.getAs<DeducedTemplateSpecializationTypeLoc>()) {
      c_.CheckRef(dts.getTypePtr()->getTemplateName().getAsTemplateDecl(), loc);
    }
    if (auto u = tl.getAs<UsingTypeLoc>()) c_.CheckRef(u.getFoundDecl(), loc);
    return true;
  }
  bool VisitUsingDecl(UsingDecl* d) {
    for (const UsingShadowDecl* shadow : d->shadows())
      c_.CheckRef(shadow->getTargetDecl(), d->getLocation());
    return true;
  }
  bool VisitUsingDirectiveDecl(UsingDirectiveDecl* d) {
    c_.CheckRef(d->getNominatedNamespace(), d->getLocation());
    return true;
  }
  bool VisitNamespaceAliasDecl(NamespaceAliasDecl* d) {
    c_.CheckRef(d->getNamespace(), d->getLocation());
    return true;
  }

  // ---- Types of declarations and expressions ----
  bool VisitValueDecl(ValueDecl* d) {
    c_.CheckType(d->getType(), d->getLocation());
    QualType t = d->getType();
    if (c_.Untrusted(d->getLocation()) && (t->isReferenceType() || t->isPointerType()) &&
        IsScopedGuard(t->getPointeeType())) {
      c_.Report(d->getLocation(), "scoped_guard",
                "'" + d->getName() +
                    "' refers to a guard: a guard is used only by the scope that made it");
    }
    return true;
  }
  bool VisitTypedefNameDecl(TypedefNameDecl* d) {
    c_.CheckType(d->getUnderlyingType(), d->getLocation());
    return true;
  }
  bool VisitExpr(Expr* e) {
    c_.CheckType(e->getType(), e->getExprLoc());
    return true;
  }
  // Rule stored_borrow for classes ostd keeps (OSTD_STORED_OBJECT bases:
  // probe handlers): their members must own what they use.
  bool VisitCXXRecordDecl(CXXRecordDecl* d) {
    if (!c_.Untrusted(d->getLocation()) || !d->hasDefinition() || d->isDependentContext()) {
      return true;
    }
    bool stored = false;
    d->forallBases([&stored](const CXXRecordDecl* b) {
      if (HasAnnotation(b, "keel_stored_object")) stored = true;
      return true;
    });
    if (!stored) return true;
    for (const FieldDecl* f : d->fields()) {
      std::string why;
      if (HoldsBorrow(f->getType(), why)) {
        c_.Report(f->getLocation(), "stored_borrow",
                  "member '" + f->getName() + "' of a class ostd keeps (a probe handler) holds '" +
                      why + "': it could outlive what that points to; hold owning values");
      }
    }
    return true;
  }

  bool VisitRecordDecl(RecordDecl* d) {
    if (d->isUnion() && c_.Untrusted(d->getLocation())) {
      c_.Report(d->getLocation(), "union",
                "union declarations are not allowed (type punning); "
                "use std::variant or std::bit_cast");
    }
    return true;
  }

  // ---- Banned constructs ----
  // Rule computed_goto: `goto *p` jumps to any address a void* holds (a label
  // address, or the address of data), so neither it nor `&&label` is allowed.
  bool VisitIndirectGotoStmt(IndirectGotoStmt* s) {
    if (c_.Untrusted(s->getGotoLoc())) {
      c_.Report(s->getGotoLoc(), "computed_goto", "computed goto (`goto *p`) is not allowed");
    }
    return true;
  }
  bool VisitAddrLabelExpr(AddrLabelExpr* e) {
    if (c_.Untrusted(e->getAmpAmpLoc())) {
      c_.Report(e->getAmpAmpLoc(), "computed_goto",
                "the address of a label (`&&label`) is not allowed");
    }
    return true;
  }
  // Rule attribute on statements: [[fallthrough]], [[likely]] and
  // [[unlikely]] only. [[assume(e)]] (like __builtin_assume) lets the
  // optimizer drop the checks it contradicts, bounds checks included.
  bool VisitAttributedStmt(AttributedStmt* s) {
    if (!c_.Untrusted(s->getAttrLoc())) return true;
    for (const Attr* a : s->getAttrs()) {
      if (a->isImplicit() ||
          c_.KindOf(c_.sm().getSpellingLoc(a->getLocation())) == FileKind::kAllowed) {
        continue;
      }
      switch (a->getKind()) {
        case attr::FallThrough:
        case attr::Likely:
        case attr::Unlikely:
          continue;
        default:
          c_.Report(a->getLocation().isValid() ? a->getLocation() : s->getAttrLoc(),
                    a->getKind() == attr::CXXAssume ? "assume" : "attribute",
                    std::string("statement attribute '") + a->getSpelling() +
                        "' is not allowed in untrusted code (only fallthrough, likely and "
                        "unlikely are)");
      }
    }
    return true;
  }
  bool VisitGCCAsmStmt(GCCAsmStmt* s) { return Asm(s->getAsmLoc()); }
  bool VisitMSAsmStmt(MSAsmStmt* s) { return Asm(s->getAsmLoc()); }
  bool VisitFileScopeAsmDecl(FileScopeAsmDecl* d) { return Asm(d->getAsmLoc()); }
  bool Asm(SourceLocation loc) {
    if (c_.Untrusted(loc))
      c_.Report(loc, "asm", "inline assembly is only allowed in arch/ and ostd/");
    return true;
  }

  bool VisitDecl(Decl* d) {
    if (!c_.Untrusted(d->getLocation())) return true;
    for (const Attr* a : d->attrs()) CheckAttr(a, d);
    CheckForeignNamespace(d);
    return true;
  }

  bool VisitFunctionDecl(FunctionDecl* d) {
    if (!c_.Untrusted(d->getLocation())) return true;
    switch (d->getOverloadedOperator()) {
      case OO_New:
      case OO_Delete:
      case OO_Array_New:
      case OO_Array_Delete:
        c_.Report(d->getLocation(), "raw_new", "declaring operator new/delete is raw allocation");
        break;
      default:
        break;
    }
    CheckExternC(d, d->isExternC());
    extern_candidates_.insert(d->getCanonicalDecl());
    // Rule scoped_guard: returning a guard (by value, which guaranteed copy
    // elision allows for a non-movable type) moves it out of its scope.
    if (!isa<CXXConstructorDecl>(d) && IsScopedGuard(d->getReturnType())) {
      c_.Report(d->getLocation(), "scoped_guard",
                "function '" + d->getName() +
                    "' returns a scoped guard: a guard stays in the scope that made it");
    }
    return true;
  }
  // C-linkage names are the TCB's and the runtime's (assembly entry points,
  // compiler support): untrusted code may neither declare nor define them.
  void CheckExternC(const Decl* d, bool extern_c) {
    if (extern_c && !d->isImplicit() && c_.Untrusted(d->getLocation())) {
      c_.Report(d->getLocation(), "extern_decl",
                "extern \"C\" declarations are not allowed in untrusted code (C-linkage symbols "
                "belong to the TCB: assembly, runtime, boot)");
    }
  }

  bool VisitVarDecl(VarDecl* d) {
    CheckExternC(d, d->isExternC());
    if (c_.Untrusted(d->getLocation()) && (d->hasExternalStorage() || d->isFileVarDecl() ||
                                           d->isStaticDataMember() || d->isLocalExternDecl())) {
      extern_candidates_.insert(d->getCanonicalDecl());
    }
    // Rule handle_owned: a variable with static storage outlives the call
    // that borrowed the task.
    if (std::string why; c_.Untrusted(d->getLocation()) && !isa<ParmVarDecl>(d) &&
                         !d->hasLocalStorage() && HoldsHandleOwnedPointer(d->getType(), why)) {
      c_.Report(d->getLocation(), "handle_owned",
                "variable '" + d->getName() + "' with static storage holds '" + why +
                    "': a task is kept only through an ostd::TaskRef (a raw pointer or "
                    "reference outlives the task); keep a TaskRef or the task's id");
    }
    // Rule scoped_guard: a guard with static storage outlives every scope.
    if (c_.Untrusted(d->getLocation()) && !isa<ParmVarDecl>(d) && !d->hasLocalStorage() &&
        IsScopedGuard(ctx_.getBaseElementType(d->getType()))) {
      c_.Report(d->getLocation(), "scoped_guard",
                "variable '" + d->getName() +
                    "' is a scoped guard with static storage: a guard is a local variable only");
    }
    // Rule thread_local: the kernel has no TLS of its own; a %fs-relative
    // access would go through the user's FS base.
    if (c_.Untrusted(d->getLocation()) && d->getTLSKind() != VarDecl::TLS_None) {
      c_.Report(d->getLocation(), "thread_local",
                "thread-local variable '" + d->getName() +
                    "': the kernel has no TLS (%fs holds the user's base); use per-CPU or "
                    "per-task state through ostd");
    }
    // Rule global_ctor: namespace-scope and static member variables are
    // constant-initialized (constinit); a dynamic initializer would run as a
    // global constructor, before ostd has set the machine up.
    if (c_.Untrusted(d->getLocation()) && !d->isImplicit() && d->hasGlobalStorage() &&
        !d->isStaticLocal() && !d->hasExternalStorage() &&
        !d->getDeclContext()->isDependentContext() && !d->getType()->isDependentType() &&
        d->hasInit() && !d->isConstexpr() && !d->hasConstantInitialization() &&
        !d->getInit()->isConstantInitializer(ctx_, d->getType()->isReferenceType()) &&
        !c_.SpelledInTestFramework(d->getLocation()) &&
        !isa<VarTemplatePartialSpecializationDecl>(d)) {
      c_.Report(d->getLocation(), "global_ctor",
                "global '" + d->getName() +
                    "' needs a dynamic initializer (a global constructor runs before ostd is up); "
                    "make it constinit, or build it at run time");
    }
    // Rule vla: a variable-length array (a Clang extension in C++) can be big
    // enough to jump the kernel stack's guard page.
    if (c_.Untrusted(d->getLocation()) && d->getType()->isVariablyModifiedType()) {
      c_.Report(d->getLocation(), "vla",
                "variable-length array '" + d->getName() +
                    "': its size is unchecked and can jump the stack guard; use std::array or "
                    "ostd::Vec");
    }
    // Rule uninit_pointer: a local pointer without an initializer holds
    // whatever was on the stack, a forged address.
    if (c_.Untrusted(d->getLocation()) && d->hasLocalStorage() && !isa<ParmVarDecl>(d) &&
        !d->isImplicit() && !d->hasInit() && IsUninitializablePointer(d->getType())) {
      c_.Report(d->getLocation(), "uninit_pointer",
                "pointer variable '" + d->getName() +
                    "' has no initializer (its value would be stack garbage); initialize it");
    }
    return true;
  }

  // Rule uninit_pointer for members: a pointer member needs a default member
  // initializer unless every user-written constructor initializes it (an
  // aggregate or a defaulted default constructor leaves it garbage).
  bool VisitFieldDecl(FieldDecl* f) {
    // Rule handle_owned: a member outlives the call that borrowed the task.
    if (std::string why; c_.Untrusted(f->getLocation()) && !f->getParent()->isLambda() &&
                         HoldsHandleOwnedPointer(f->getType(), why)) {
      c_.Report(f->getLocation(), "handle_owned",
                "member '" + f->getName() + "' holds '" + why +
                    "': a task is kept only through an ostd::TaskRef (a raw pointer or "
                    "reference outlives the task); keep a TaskRef or the task's id");
    }
    if (c_.Untrusted(f->getLocation()) && IsScopedGuard(ctx_.getBaseElementType(f->getType()))) {
      c_.Report(f->getLocation(), "scoped_guard",
                "member '" + f->getName() +
                    "' is a scoped guard: a guard is a local variable only (a member could be "
                    "released by another task or CPU, or outlive what it guards)");
    }
    if (!c_.Untrusted(f->getLocation()) || f->hasInClassInitializer() ||
        !IsUninitializablePointer(f->getType())) {
      return true;
    }
    const auto* rd = dyn_cast<CXXRecordDecl>(f->getParent());
    if (rd == nullptr || rd->isUnion() || rd->isDependentContext()) return true;
    bool user_ctor = false;
    for (const CXXConstructorDecl* ctor : rd->ctors()) {
      if (ctor->isDeleted()) continue;
      if (!ctor->isUserProvided()) {
        if (ctor->isDefaultConstructor()) {
          user_ctor = false;
          break;  // `S() = default;` default-initializes the pointer
        }
        continue;  // implicit/defaulted copy and move copy a valid value
      }
      user_ctor = true;
      const CXXConstructorDecl* def = dyn_cast_or_null<CXXConstructorDecl>(ctor->getDefinition());
      if (def == nullptr || def->isDelegatingConstructor()) continue;
      bool inits = false;
      for (const CXXCtorInitializer* init : def->inits()) {
        if (init->getMember() == f && init->isWritten()) inits = true;
      }
      if (!inits) {
        c_.Report(f->getLocation(), "uninit_pointer",
                  "pointer member '" + f->getName() +
                      "' is not initialized by every constructor; give it a default member "
                      "initializer (= nullptr)");
        return true;
      }
    }
    if (!user_ctor) {
      c_.Report(f->getLocation(), "uninit_pointer",
                "pointer member '" + f->getName() +
                    "' has no default member initializer, so a default-initialized object holds "
                    "a garbage pointer; add `= nullptr` or an initializer");
    }
    return true;
  }

  bool VisitCStyleCastExpr(CStyleCastExpr* e) {
    if (!c_.Untrusted(e->getBeginLoc())) return true;
    if (e->getTypeAsWritten()->isVoidType()) return true;  // `(void)x` discards a value.
    c_.Report(e->getBeginLoc(), "cstyle_cast",
              "C-style casts are not allowed; use static_cast or a typed API");
    return true;
  }
  bool VisitCXXFunctionalCastExpr(CXXFunctionalCastExpr* e) {
    QualType t = e->getType().getCanonicalType();
    if (c_.Untrusted(e->getBeginLoc()) &&
        (t->isPointerType() || t->isReferenceType() || t->isMemberPointerType())) {
      c_.Report(e->getBeginLoc(), "cstyle_cast",
                "functional cast to pointer/reference type is a C-style cast");
    }
    return true;
  }
  bool VisitCXXReinterpretCastExpr(CXXReinterpretCastExpr* e) {
    if (c_.Untrusted(e->getExprLoc())) {
      c_.Report(e->getExprLoc(), "reinterpret_cast",
                "reinterpret_cast is not allowed; use a typed ostd API");
    }
    return true;
  }
  bool VisitCXXConstCastExpr(CXXConstCastExpr* e) {
    if (c_.Untrusted(e->getExprLoc()))
      c_.Report(e->getExprLoc(), "const_cast", "const_cast is not allowed");
    return true;
  }
  bool VisitCXXStaticCastExpr(CXXStaticCastExpr* e) {
    if (!c_.Untrusted(e->getExprLoc())) return true;
    QualType from = e->getSubExpr()->getType().getCanonicalType();
    QualType to = e->getType().getCanonicalType();
    if (from->isPointerType() && from->getPointeeType()->isVoidType() && to->isPointerType() &&
        !to->getPointeeType()->isVoidType()) {
      c_.Report(e->getExprLoc(), "downcast", "static_cast from void* is an unchecked type pun");
    } else if (e->getCastKind() == CK_BaseToDerived) {
      c_.Report(e->getExprLoc(), "downcast",
                "static_cast from base to derived is an unchecked downcast");
    }
    return true;
  }
  bool VisitCastExpr(CastExpr* e) {
    // Rule char_decay: a char array decayed to a pointer loses its length,
    // and whatever reads the pointer (FormatTo's "{}", a const char*
    // parameter) reads up to a NUL that may be past the array. String
    // literals end in one.
    if (e->getCastKind() == CK_ArrayToPointerDecay && c_.Untrusted(e->getExprLoc()) &&
        !isa<StringLiteral>(e->getSubExpr()->IgnoreParens()) &&
        !isa<PredefinedExpr>(e->getSubExpr()->IgnoreParens())) {
      QualType elem = ctx_.getBaseElementType(e->getSubExpr()->getType());
      if (elem->isAnyCharacterType() && !c_.SpelledInTestFramework(e->getExprLoc())) {
        c_.Report(e->getExprLoc(), "char_decay",
                  "a char array used as a pointer loses its length (readers of the pointer stop "
                  "only at a NUL); pass a std::string_view or std::span of it");
      }
    }
    if (e->getCastKind() == CK_IntegralToPointer && c_.Untrusted(e->getExprLoc())) {
      c_.Report(e->getExprLoc(), "int_to_ptr", "integer-to-pointer conversion is not allowed");
    }
    // `int Derived::*` to `int Base::*` (only explicitly): applied to a Base
    // that is not a Derived, it reaches past the object. (Base-to-derived
    // member pointers, the implicit direction, are safe.)
    if (e->getCastKind() == CK_DerivedToBaseMemberPointer && c_.Untrusted(e->getExprLoc())) {
      c_.Report(e->getExprLoc(), "downcast",
                "a member pointer of a derived class cast to one of its base is unchecked (it "
                "reaches past a base object)");
    }
    return true;
  }
  bool VisitBuiltinBitCastExpr(BuiltinBitCastExpr* e) {
    if (c_.Untrusted(e->getExprLoc()) && ContainsPointer(e->getType())) {
      c_.Report(e->getExprLoc(), "int_to_ptr",
                "__builtin_bit_cast to '" + e->getType().getAsString() +
                    "', which contains a pointer (integer-to-pointer conversion), is not allowed");
    }
    return true;
  }

  bool VisitBinaryOperator(BinaryOperator* e) {
    if (!c_.Untrusted(e->getExprLoc())) return true;
    BinaryOperatorKind op = e->getOpcode();
    bool lhs_ptr = e->getLHS()->getType()->isAnyPointerType();
    bool rhs_ptr = e->getRHS()->getType()->isAnyPointerType();
    if (op == BO_Sub && lhs_ptr && rhs_ptr) {
      c_.Report(e->getExprLoc(), "pointer_difference",
                "subtracting two pointers is pointer arithmetic; keep indices or use std::span "
                "(subspan/size) instead");
    } else if ((op == BO_Add || op == BO_Sub || op == BO_AddAssign || op == BO_SubAssign) &&
               (lhs_ptr || rhs_ptr)) {
      c_.Report(e->getExprLoc(), "pointer_arithmetic",
                "pointer arithmetic is not allowed; use std::span / indices");
    }
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator* e) {
    if (e->getOpcode() == UO_AddrOf && c_.Untrusted(e->getExprLoc()) &&
        IsScopedGuard(e->getSubExpr()->getType())) {
      c_.Report(e->getExprLoc(), "scoped_guard",
                "the address of a guard: a guard is used only by the scope that made it");
    }
    if (e->isIncrementDecrementOp() && e->getSubExpr()->getType()->isAnyPointerType() &&
        c_.Untrusted(e->getExprLoc())) {
      c_.Report(e->getExprLoc(), "pointer_arithmetic",
                "pointer increment/decrement is pointer arithmetic; use std::span / indices");
    }
    return true;
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr* e) {
    if (!c_.Untrusted(e->getExprLoc())) return true;
    if (e->isTypeDependent() || e->getBase()->isTypeDependent() || e->getIdx()->isTypeDependent()) {
      return true;  // Judged in each instantiation (it may be an operator[] call there).
    }
    const Expr* base = e->getBase()->IgnoreParens();
    const Expr* array = nullptr;
    if (const auto* cast = dyn_cast<ImplicitCastExpr>(base)) {
      if (cast->getCastKind() == CK_ArrayToPointerDecay) array = cast->getSubExpr()->IgnoreParens();
    }
    if (array == nullptr) {
      c_.Report(e->getExprLoc(), "pointer_arithmetic",
                "subscript on a pointer is pointer arithmetic; use std::span / std::array");
      return true;
    }
    if (e->getIdx()->isValueDependent()) return true;
    std::optional<llvm::APSInt> idx = e->getIdx()->getIntegerConstantExpr(ctx_);
    if (!idx) {
      c_.Report(e->getExprLoc(), "array_index",
                "C array indexed with a non-constant index; use std::array::at/operator[] or "
                "std::span");
      return true;
    }
    if (const auto* cat = ctx_.getAsConstantArrayType(array->getType())) {
      if (idx->isNegative() || idx->getZExtValue() >= cat->getSize().getZExtValue()) {
        c_.Report(e->getExprLoc(), "array_index", "C array index out of bounds");
      }
    }
    return true;
  }

  bool VisitCXXNewExpr(CXXNewExpr* e) {
    if (!c_.Untrusted(e->getBeginLoc()) || c_.SpelledInTestFramework(e->getBeginLoc())) return true;
    unsigned n = e->getNumPlacementArgs();
    bool nothrow = false;
    if (n == 1) {
      if (const auto* rd = e->getPlacementArg(0)->getType()->getAsCXXRecordDecl()) {
        nothrow = InStd(rd) && rd->getName() == "nothrow_t";
      }
    }
    if (n > 0 && !nothrow) {
      c_.Report(e->getBeginLoc(), "placement_new",
                "placement new is not allowed (only `new (std::nothrow) T`, and only in ostd)");
    } else {
      c_.Report(e->getBeginLoc(), "raw_new",
                "raw new is not allowed; use ostd::MakeBox / ostd::MakeRef");
    }
    return true;
  }
  bool VisitCXXDeleteExpr(CXXDeleteExpr* e) {
    if (c_.Untrusted(e->getBeginLoc()) && !c_.SpelledInTestFramework(e->getBeginLoc())) {
      c_.Report(e->getBeginLoc(), "raw_new",
                "raw delete is not allowed; use ostd::Box / ostd::RefPtr");
    }
    return true;
  }
  bool VisitVAArgExpr(VAArgExpr* e) {
    if (c_.Untrusted(e->getBeginLoc()) && ContainsPointer(e->getType())) {
      c_.Report(e->getBeginLoc(), "va_arg",
                "va_arg of a type that contains a pointer is not allowed");
    }
    return true;
  }

  // ---- Helpers ----
  void CheckAttr(const Attr* a, const Decl* d) {
    if (a->isInherited()) return;
    // The test registration attributes (used, section) written inside ktest's
    // TEST macro are the framework's, not the test's.
    if (a->getLocation().isValid() &&
        c_.KindOf(c_.sm().getSpellingLoc(a->getLocation())) == FileKind::kAllowed) {
      return;
    }
    // An allowlist: attributes that only add checks or hints. Everything else
    // (linkage, sections, instrumentation, code generation such as `target`,
    // `cleanup`, calling conventions, aliasing) is refused.
    const char* rule = "attribute";
    if (a->isImplicit()) return;
    switch (a->getKind()) {
      case attr::AsmLabel:
        rule = "asm";
        break;
      // Thread-safety analysis (absl/base/thread_annotations.h).
      case attr::GuardedBy:
      case attr::PtGuardedBy:
      case attr::AcquiredAfter:
      case attr::AcquiredBefore:
      case attr::RequiresCapability:
      case attr::LocksExcluded:
      case attr::LockReturned:
      case attr::ReleaseCapability:
      case attr::AcquireCapability:
      case attr::TryAcquireCapability:
      case attr::AssertCapability:
      case attr::NoThreadSafetyAnalysis:
      case attr::ScopedLockable:
      case attr::Capability:
      case attr::GuardedVar:
      case attr::PtGuardedVar:
      // Diagnostics and hints that do not change what the code does.
      case attr::WarnUnusedResult:
      case attr::Unused:
      case attr::Deprecated:
      case attr::NoInline:
      case attr::NoDestroy:
      case attr::CXX11NoReturn:
      case attr::NoReturn:
      case attr::Final:
      case attr::Override:
      case attr::Aligned:
      case attr::ConstInit:
      case attr::LifetimeBound:
      case attr::NoUniqueAddress:
        return;
      default:
        break;
    }
    (void)d;
    c_.Report(a->getLocation().isValid() ? a->getLocation() : d->getLocation(), rule,
              std::string("attribute '") + a->getSpelling() +
                  "' is not allowed in untrusted code (only checking and hint attributes "
                  "are: it may change linkage, layout, code generation or instrumentation)");
  }

  void CheckForeignNamespace(const Decl* d) {
    const auto* nd = dyn_cast<NamedDecl>(d);
    if (nd == nullptr || isa<NamespaceDecl>(d) || d->isImplicit()) return;
    const DeclContext* dc = d->getDeclContext();
    bool top = dc->isFileContext() || dc != d->getLexicalDeclContext();
    if (!top) return;
    if (const NamespaceDecl* outer = OutermostNamespace(dc)) {
      llvm::StringRef ns = outer->getName();
      if (ns == "ostd" || ns == "arch" || ns == "std" || ns == "__gnu_cxx" || ns == "__cxxabiv1" ||
          ns == "absl" || ns == "ktest") {
        if (ns == "std" && IsExplicitSpecialization(d)) return;
        c_.Report(d->getLocation(), "foreign_namespace",
                  "declaration in namespace " + ns +
                      ", which belongs to the TCB or the standard library");
        return;
      }
    }
    if (nd->getIdentifier() != nullptr && IsReservedName(nd->getName()) && dc->isFileContext()) {
      c_.Report(d->getLocation(), "foreign_namespace",
                "'" + nd->getName() + "' is a reserved identifier (TCB/implementation namespace)");
    }
  }

  static bool IsExplicitSpecialization(const Decl* d) {
    for (const Decl* cur = d; cur != nullptr; cur = dyn_cast_or_null<Decl>(cur->getDeclContext())) {
      if (const auto* spec = dyn_cast<ClassTemplateSpecializationDecl>(cur)) {
        if (spec->isExplicitSpecialization()) return true;
      }
      if (const auto* fd = dyn_cast<FunctionDecl>(cur)) {
        if (fd->getTemplateSpecializationKind() == TSK_ExplicitSpecialization) return true;
      }
      if (isa<NamespaceDecl>(cur)) break;
    }
    return false;
  }

  void CheckSpanConstructor(CXXConstructExpr* e) {
    if (!c_.Untrusted(e->getLocation())) return;
    const CXXConstructorDecl* ctor = e->getConstructor();
    const CXXRecordDecl* rd = ctor->getParent();
    if (!InStd(rd) || rd->getIdentifier() == nullptr) return;
    llvm::StringRef name = rd->getName();
    if (name != "span" && name != "basic_string_view") return;
    unsigned n = 0;
    for (const Expr* arg : e->arguments()) {
      if (!isa<CXXDefaultArgExpr>(arg)) ++n;
    }
    bool bad = n >= 2;
    if (n == 1 && ctor->getNumParams() >= 1 &&
        ctor->getParamDecl(0)->getType().getCanonicalType()->isPointerType()) {
      bad = !isa<StringLiteral>(e->getArg(0)->IgnoreParenImpCasts());
    }
    // The range constructor trusts the range's data() and size(): only std's
    // and ostd's own containers and views may be the range (a class of the
    // caller's could report any size).
    if (n == 1 && !bad && !ctor->isCopyOrMoveConstructor()) {
      const Expr* arg = e->getArg(0)->IgnoreParenImpCasts();
      QualType at = arg->getType().getNonReferenceType().getCanonicalType();
      if (const CXXRecordDecl* range = at->getAsCXXRecordDecl()) {
        if (!InStd(range) && !InNamespace(range, "ostd")) {
          c_.Report(e->getLocation(), "span_from_range",
                    "std::" + name + " built from '" + at.getAsString() +
                        "', whose data() and size() are not std's or ostd's, is unchecked; "
                        "build it from an array, std::array, ostd::Vec or another span");
        }
      }
    }
    if (bad) {
      c_.Report(e->getLocation(), "span_from_pointer",
                "std::" + name +
                    " built from a raw pointer (pointer+length or iterator pair) is unchecked; "
                    "build it from an array, std::array or another span");
    }
  }

  // True if the value of `e` is thrown away (an expression statement, or the
  // operand of a (void) cast): e.g. std::ranges::sort returns an iterator that
  // nobody may use, which is fine.
  bool Discarded(const Expr* e) {
    const Stmt* cur = e;
    for (int depth = 0; depth < 4; ++depth) {
      DynTypedNodeList parents = ctx_.getParents(*cur);
      if (parents.empty()) return false;
      if (parents[0].get<CompoundStmt>() != nullptr) return true;
      if (const auto* cast = parents[0].get<CStyleCastExpr>()) {
        return cast->getTypeAsWritten()->isVoidType();
      }
      const Stmt* up = parents[0].get<Stmt>();
      if (up == nullptr || !(isa<ExprWithCleanups>(up) || isa<MaterializeTemporaryExpr>(up) ||
                             isa<CXXBindTemporaryExpr>(up) || isa<ImplicitCastExpr>(up))) {
        return false;
      }
      cur = up;
    }
    return false;
  }

  // Rule iterator: no unchecked positions into trusted containers.
  void CheckIterator(CallExpr* e, const FunctionDecl* fd) {
    bool trusted = InStd(fd) || InNamespace(fd, "ostd") || InNamespace(fd, "__gnu_cxx");
    if (!trusted) return;
    if (fd->getIdentifier() != nullptr && IteratorFunctions().contains(fd->getName())) {
      c_.Report(e->getExprLoc(), "iterator",
                "'" + fd->getQualifiedNameAsString() +
                    "' hands out an unchecked pointer or iterator into a container; use "
                    "range-for, checked indexing, subspan/first/last or ostd::CopyBytes");
      return;
    }
    // Free functions and function objects (std::ranges::find) that return a
    // position: an iterator, or a raw pointer into a C array or std::array.
    bool member = isa<CXXMethodDecl>(fd) && !isa<CXXOperatorCallExpr>(e);
    if (member || !InStd(fd)) return;
    if (const auto* op = dyn_cast<CXXOperatorCallExpr>(e)) {
      if (op->getOperator() != OO_Call) return;
    }
    std::string fname = fd->getDeclName().getAsString();
    if (StdPointerValueFunctions().contains(fname) || StdRawMemory().contains(fname) ||
        MemFunctions().contains(fname)) {
      return;  // Harmless, or reported by CheckRef.
    }
    for (const Expr* arg : e->arguments()) {
      if (IsObjectPointer(arg->getType())) return;  // Reported as std_raw_pointer.
    }
    QualType rt = e->getCallReturnType(ctx_);
    if ((IsIteratorClass(rt) || IsObjectPointer(rt)) && !Discarded(e)) {
      c_.Report(e->getExprLoc(), "iterator",
                "'" + fd->getQualifiedNameAsString() +
                    "' returns an unchecked position into a container; use an index-based "
                    "search or range-for");
    }
  }

  void CheckStdRawPointer(CallExpr* e, const FunctionDecl* fd) {
    if (isa<UserDefinedLiteral>(e) || !InStd(fd)) return;
    std::string fname = fd->getDeclName().getAsString();
    if (StdPointerValueFunctions().contains(fname)) return;
    if (const auto* md = dyn_cast<CXXMethodDecl>(fd)) {
      const CXXRecordDecl* cls = md->getParent();
      if (cls->getIdentifier() != nullptr && StdPointerValueClasses().contains(cls->getName()))
        return;
    }
    if (StdRawMemory().contains(fname) || MemFunctions().contains(fname))
      return;  // Reported by CheckRef.
    for (const Expr* arg : e->arguments()) {
      if (isa<StringLiteral>(arg->IgnoreParenImpCasts())) continue;  // Bounded, NUL-terminated.
      if (IsObjectPointer(arg->getType())) {
        c_.Report(e->getExprLoc(), "std_raw_pointer",
                  "std library call '" + fd->getQualifiedNameAsString() +
                      "' with a raw pointer argument (unchecked access through it); use std::span "
                      "/ std::array");
        return;
      }
    }
  }

  // Emits the D/X records for rule extern_decl (see the file comment).
  void EmitExternRecords() {
    ASTNameGenerator names(ctx_);
    for (const Decl* canon : extern_candidates_) {
      const auto* vd = dyn_cast<ValueDecl>(canon);
      if (vd == nullptr || vd->isImplicit() || vd->getDeclContext()->isDependentContext()) continue;
      if (vd->isTemplated() || !vd->isExternallyVisible()) continue;
      if (const NamespaceDecl* outer = OutermostNamespace(vd->getDeclContext())) {
        llvm::StringRef ns = outer->getName();
        if (ns == "ostd" || ns == "arch" || ns == "std" || ns == "ktest")
          continue;  // foreign_namespace.
      }
      const Decl* def = nullptr;
      bool decl_only = false;
      if (const auto* fd = dyn_cast<FunctionDecl>(vd)) {
        if (fd->getTemplateSpecializationKind() != TSK_Undeclared) continue;
        if (fd->isDeleted() || fd->isDefaulted() || fd->isPureVirtual()) continue;
        if (isa<CXXConstructorDecl>(fd) || isa<CXXDestructorDecl>(fd)) {
          // Mangled names of structors need a variant; use the complete one.
        }
        const FunctionDecl* body = nullptr;
        if (fd->isDefined(body))
          def = body;
        else
          decl_only = true;
      } else if (const auto* var = dyn_cast<VarDecl>(vd)) {
        if (var->getTemplateSpecializationKind() != TSK_Undeclared) continue;
        if (const VarDecl* d = var->getDefinition(ctx_))
          def = d;
        else
          decl_only = true;
      } else {
        continue;
      }
      if (def != nullptr) {
        if (c_.Untrusted(def->getLocation()))
          llvm::outs() << "@keel\tD\t" << names.getName(def) << "\n";
        continue;
      }
      if (!decl_only) continue;
      const Decl* first = canon;
      FileKind kind = c_.KindOf(first->getLocation());
      if (kind == FileKind::kUntrusted) {
        bool used = vd->isReferenced();
        if (const auto* md = dyn_cast<CXXMethodDecl>(vd)) used = used || md->isVirtual();
        if (!used) continue;
        SourceManager& sm = c_.sm();
        SourceLocation exp = sm.getExpansionLoc(first->getLocation());
        FileID fid = sm.getFileID(exp);
        llvm::outs() << "@keel\tX\t" << names.getName(vd) << "\t" << c_.RealPath(fid) << "\t"
                     << sm.getLineNumber(fid, sm.getFileOffset(exp)) << "\t"
                     << vd->getQualifiedNameAsString() << "\n";
      } else if (kind == FileKind::kInternal ||
                 (kind == FileKind::kOstdPublic && c_.InInternalNamespace(first))) {
        for (const Decl* r : vd->redecls()) {
          if (c_.Untrusted(r->getLocation())) {
            c_.Report(r->getLocation(), "extern_decl",
                      "redeclaration of '" + vd->getQualifiedNameAsString() +
                          "', which is not part of ostd's public API");
          }
        }
      }
    }
  }

 private:
  Checker& c_;
  ASTContext& ctx_;
  std::set<const Decl*> extern_candidates_;
  std::set<const Expr*> direct_callees_;  // callee expressions of calls seen so far
};

class PreprocessorHooks : public PPCallbacks {
 public:
  explicit PreprocessorHooks(std::shared_ptr<Checker> checker)
      : owner_(std::move(checker)), c_(*owner_) {}

  void InclusionDirective(SourceLocation hash_loc, const Token& /*include_tok*/,
                          StringRef file_name, bool is_angled, CharSourceRange /*filename_range*/,
                          OptionalFileEntryRef file, StringRef /*search_path*/,
                          StringRef /*relative_path*/, const Module* /*suggested_module*/,
                          bool /*module_imported*/,
                          SrcMgr::CharacteristicKind /*file_type*/) override {
    if (!c_.Untrusted(hash_loc)) return;
    SourceManager& sm = c_.sm();
    FileID fid = sm.getFileID(sm.getExpansionLoc(hash_loc));
    std::string resolved;
    if (file) {
      llvm::StringRef real = file->getFileEntry().tryGetRealPathName();
      if (!real.empty()) {
        resolved = real.str();
      } else {
        llvm::SmallString<256> buf;
        if (!llvm::sys::fs::real_path(file->getName(), buf)) resolved = std::string(buf.str());
      }
    }
    llvm::outs() << "@keel\tI\t" << c_.RealPath(fid) << "\t" << sm.getExpansionLineNumber(hash_loc)
                 << "\t" << (is_angled ? 1 : 0) << "\t" << file_name << "\t" << resolved << "\n";
  }

  void FileChanged(SourceLocation loc, FileChangeReason reason, SrcMgr::CharacteristicKind /*type*/,
                   FileID /*prev*/) override {
    if (!c_.Untrusted(loc)) return;
    if (reason == SystemHeaderPragma) {
      c_.Report(loc, "pragma",
                "#pragma system_header is not allowed (it would hide this file from "
                "the gate)");
    } else if (reason == RenameFile) {
      c_.Report(loc, "line_directive", "#line / line markers are not allowed");
    }
  }

  // Rule pragma: untrusted code may write `#pragma once` and nothing else.
  // Diagnostic pragmas would switch off the -Werror checks the real build
  // relies on (deprecated raw-memory APIs, dangling references), and others
  // change code generation (optimize, clang attribute/section, pack).
  void PragmaDirective(SourceLocation loc, PragmaIntroducerKind introducer) override {
    if (!c_.Untrusted(loc)) return;
    if (introducer == PIK_HashPragma) {
      SourceManager& sm = c_.sm();
      SourceLocation spelling = sm.getSpellingLoc(loc);
      bool invalid = false;
      const char* p = sm.getCharacterData(spelling, &invalid);
      if (!invalid && p != nullptr) {
        llvm::StringRef rest(p, 64);
        rest = rest.take_until([](char ch) { return ch == '\n' || ch == '\0'; });
        rest = rest.ltrim();
        if (rest.consume_front("#")) rest = rest.ltrim();
        if (rest.consume_front("pragma")) {
          llvm::StringRef name = rest.ltrim().take_while(
              [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
          if (name == "once") return;
        }
      }
    }
    c_.Report(loc, "pragma",
              "pragmas other than `#pragma once` are not allowed in untrusted code (they can "
              "switch off the build's checks or change code generation)");
  }

  void MacroDefined(const Token& name_tok, const MacroDirective* /*md*/) override {
    SourceLocation loc = name_tok.getLocation();
    if (!c_.Untrusted(loc)) return;
    const IdentifierInfo* ii = name_tok.getIdentifierInfo();
    if (ii == nullptr) return;
    llvm::StringRef name = ii->getName();
    if (ii->isKeyword(lang_opts_) || IsReservedName(name)) {
      c_.Report(loc, "macro",
                "#define of the keyword or reserved identifier '" + name +
                    "' is not allowed (it changes the meaning of trusted headers)");
    }
  }

  void set_lang_opts(const LangOptions& opts) { lang_opts_ = opts; }

 private:
  std::shared_ptr<Checker> owner_;
  Checker& c_;
  LangOptions lang_opts_;
};

class Consumer : public ASTConsumer {
 public:
  explicit Consumer(std::shared_ptr<Checker> checker) : checker_(std::move(checker)) {}

  void HandleTranslationUnit(ASTContext& ctx) override {
    Visitor visitor(*checker_, ctx);
    visitor.TraverseDecl(ctx.getTranslationUnitDecl());
    visitor.EmitExternRecords();
    llvm::outs().flush();
  }

 private:
  std::shared_ptr<Checker> checker_;
};

class Action : public PluginASTAction {
 protected:
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance& ci, llvm::StringRef) override {
    auto checker = std::make_shared<Checker>(config_, ci);
    auto hooks = std::make_unique<PreprocessorHooks>(checker);
    hooks->set_lang_opts(ci.getLangOpts());
    ci.getPreprocessor().addPPCallbacks(std::move(hooks));
    return std::make_unique<Consumer>(std::move(checker));
  }

  bool ParseArgs(const CompilerInstance& ci, const std::vector<std::string>& args) override {
    for (const std::string& arg : args) {
      llvm::StringRef a(arg);
      auto [key, value] = a.split('=');
      if (key == "root") {
        config_.root = value.str();
      } else if (key == "untrusted") {
        config_.untrusted.push_back(value.str());
      } else if (key == "trusted") {
        config_.trusted.push_back(value.str());
      } else if (key == "allowed") {
        config_.allowed.push_back(value.str());
      } else {
        DiagnosticsEngine& diags = ci.getDiagnostics();
        diags.Report(
            diags.getCustomDiagID(DiagnosticsEngine::Error, "keel-safety: unknown argument '%0'"))
            << arg;
        return false;
      }
    }
    return true;
  }

 private:
  Config config_;
};

}  // namespace
}  // namespace keel_safety

static clang::FrontendPluginRegistry::Add<keel_safety::Action> kRegistration(
    "keel-safety", "Keel safety gate: rejects unsafe constructs in untrusted code");
