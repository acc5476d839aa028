// Checked base-to-derived casts without RTTI.
//
// Kernel code may not write `static_cast<Derived*>(base)`: nothing checks that
// the object really is a Derived. Instead the root of a hierarchy derives from
// DowncastRoot<itself>, every class that is a downcast target derives through
// Derives<itself, ItsBase>, and DowncastTo asks the object what it is:
//
//   class Inode : public ostd::RefCounted<Inode>, public ostd::DowncastRoot<Inode> {
//    public:
//     virtual ~Inode();
//   };
//   class TmpInode : public ostd::Derives<TmpInode, Inode> {
//    public:
//     explicit TmpInode(int mode) : Derives(this, /* Inode's arguments */ mode) {}
//   };
//   class TmpDir : public ostd::Derives<TmpDir, TmpInode> { ... };
//
//   TmpInode* t = ostd::DowncastTo<TmpInode>(inode);  // nullptr if not a TmpInode
//
// Why hostile code cannot make an object claim a type it is not:
//   * The recorded type lives in DowncastRoot, in a slot whose only writers
//     are Derives layers (not even the root class, which DowncastRoot befriends
//     to be constructed): a Derives<D, B> constructor writes D, and its
//     destructor writes B back (the dynamic type falls back as the object is
//     destroyed). The slot cannot be copied or assigned.
//   * Derives<D, B>'s constructors are private to D and take D's `this`: they
//     trap unless the Derives being built is the one inside that very D, so
//     no class other than D (not a class deriving from Derives<D, B> without
//     being a D, nor a standalone Derives<D, B> made inside D's members) can
//     carry D's type. Copy and move constructors are deleted for the same
//     reason (a copy would carry another object's type).
//   * A class deriving from D is still a D: the types form a chain (D2 -> D ->
//     B's type -> ... -> root), and DowncastTo<D> accepts any type whose chain
//     passes through D.
//   * DowncastRoot<T>'s constructor is private to T, so only T derives from it,
//     and not virtually (a class derived from T could not construct a virtual
//     base with a private constructor); the root reached from any base class
//     of the object is therefore the one its Derives layers wrote.
#ifndef OSTD_UTIL_DOWNCAST_H_
#define OSTD_UTIL_DOWNCAST_H_

#include <type_traits>

#include "ostd/util/ref_ptr.h"

namespace ostd {

template <typename T>
class DowncastRoot;
template <typename D, typename B>
class Derives;

namespace downcast_detail {

// One per class made with Derives; `parent` is the node of its base's type.
struct TypeNode {
  const TypeNode* parent;
};

template <typename T>
concept HasNode = requires { T::OstdDowncastNode(); };

template <typename B>
consteval const TypeNode* NodeOf() {
  if constexpr (HasNode<B>) {
    return B::OstdDowncastNode();
  } else {
    return nullptr;  // the root's own type
  }
}

template <typename D, typename B>
inline constexpr TypeNode kNode{NodeOf<B>()};

struct Access;

// The recorded type of an object. Its own class, so that the root class T
// (a friend of DowncastRoot<T>, to construct it) still cannot write it: only
// Derives can. Neither copyable nor assignable.
class TypeSlot {
 public:
  constexpr TypeSlot() = default;
  TypeSlot(const TypeSlot&) = delete;
  TypeSlot& operator=(const TypeSlot&) = delete;

 private:
  template <typename D, typename B>
  friend class ::ostd::Derives;
  friend struct Access;

  const TypeNode* node_ = nullptr;  // nullptr: exactly the root class
};

// Reads the recorded type (reading it is harmless; only Derives writes it).
struct Access {
  template <typename T>
  static bool IsA(const DowncastRoot<T>& root, const TypeNode* want) {
    for (const TypeNode* n = root.type_.node_; n != nullptr; n = n->parent) {
      if (n == want) return true;
    }
    return false;
  }
};

}  // namespace downcast_detail

// The root of a hierarchy whose objects can be downcast. T derives from
// DowncastRoot<T> (CRTP) and nothing else can. Holds one pointer.
template <typename T>
class DowncastRoot {
 public:
  // The hierarchy's root type, which DowncastTo reads the recorded type from
  // (machinery, not for kernel code to name).
  using OstdDowncastRoot = DowncastRoot;

  DowncastRoot(const DowncastRoot&) = delete;
  DowncastRoot& operator=(const DowncastRoot&) = delete;

 private:
  friend T;
  template <typename D, typename B>
  friend class Derives;
  friend struct downcast_detail::Access;

  constexpr DowncastRoot() = default;
  ~DowncastRoot() = default;

  downcast_detail::TypeSlot type_;
};

// D's layer over its base B (B is the root T or any class derived from it).
// Construct it from D's constructors as `Derives(this, arguments for B...)`.
template <typename D, typename B>
class Derives : public B {
 public:
  // B, the base this layer sits on (machinery: DowncastTo checks that D
  // derives from Derives<D, ...> itself).
  using OstdDowncastBase = B;
  // The hierarchy's DowncastRoot, inherited from B (machinery).
  using OstdDowncastRoot = typename B::OstdDowncastRoot;

  Derives(const Derives&) = delete;
  Derives& operator=(const Derives&) = delete;

  // The node of D's type (for Derives layers over D and for DowncastTo).
  static consteval const downcast_detail::TypeNode* OstdDowncastNode() {
    return &downcast_detail::kNode<D, B>;
  }

 protected:
  // From here on the object is no longer a D: it is a B again.
  ~Derives() { Root().type_.node_ = downcast_detail::NodeOf<B>(); }

 private:
  friend D;

  template <typename... Args>
  explicit Derives(D* self, Args&&... args) : B(static_cast<Args&&>(args)...) {
    static_assert(std::is_base_of_v<Derives, D>, "Derives<D, B> must be a base of D");
    // The Derives being built must be the one inside *self: a standalone
    // Derives<D, B>, or one inside a class that is not this D, traps.
    if (static_cast<Derives*>(self) != this) __builtin_trap();
    Root().type_.node_ = OstdDowncastNode();
  }

  OstdDowncastRoot& Root() { return static_cast<OstdDowncastRoot&>(*this); }
};

// `base` as a D, or nullptr if the object `base` belongs to is not a D (nor
// of a class derived from D). D must derive from Derives<D, ...> itself; Base
// is any base class of D below the hierarchy's root.
template <typename D, typename Base>
  requires(std::is_base_of_v<Base, D> && !std::is_const_v<Base>)
D* DowncastTo(Base& base) {
  static_assert(downcast_detail::HasNode<D>, "DowncastTo<D>: D must derive from Derives<D, ...>");
  static_assert(
      D::OstdDowncastNode() == &downcast_detail::kNode<D, typename D::OstdDowncastBase>,
      "DowncastTo<D>: D must derive from Derives<D, ...> itself, not only through a base");
  using Root = typename D::OstdDowncastRoot;
  if (!downcast_detail::Access::IsA(static_cast<const Root&>(base), D::OstdDowncastNode())) {
    return nullptr;
  }
  // SAFETY: D's node is on the object's type chain, so the object was built
  // with a Derives<D, ...> layer checked to be inside a D, and `base` (which
  // holds the root that layer wrote) is a base-class subobject of that D.
  return static_cast<D*>(&base);
}

template <typename D, typename Base>
  requires(std::is_base_of_v<Base, D>)
const D* DowncastTo(const Base& base) {
  static_assert(downcast_detail::HasNode<D>, "DowncastTo<D>: D must derive from Derives<D, ...>");
  static_assert(
      D::OstdDowncastNode() == &downcast_detail::kNode<D, typename D::OstdDowncastBase>,
      "DowncastTo<D>: D must derive from Derives<D, ...> itself, not only through a base");
  using Root = typename D::OstdDowncastRoot;
  if (!downcast_detail::Access::IsA(static_cast<const Root&>(base), D::OstdDowncastNode())) {
    return nullptr;
  }
  // SAFETY: as above.
  return static_cast<const D*>(&base);
}

// Pointer forms: nullptr in, nullptr out.
template <typename D, typename Base>
  requires(std::is_base_of_v<Base, D>)
auto DowncastTo(Base* base) -> decltype(DowncastTo<D>(*base)) {
  return base == nullptr ? nullptr : DowncastTo<D>(*base);
}

// A new reference to `from`'s object as a D, or an empty RefPtr if `from` is
// empty or its object is not a D.
template <typename D, typename B>
RefPtr<D> DowncastRef(const RefPtr<B>& from) {
  static_assert(std::has_virtual_destructor_v<B>, "DowncastRef: B needs a virtual destructor");
  if (from.ptr_ == nullptr) return nullptr;
  D* d = DowncastTo<D>(*from.ptr_);
  if (d == nullptr) return nullptr;
  RefPtr<D> out(d, typename RefPtr<D>::AdoptTag{});
  out.AddRef();  // the new reference (from's is still counted)
  return out;
}

}  // namespace ostd

#endif  // OSTD_UTIL_DOWNCAST_H_
