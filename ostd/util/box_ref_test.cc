#include <utility>

#include "gtest/gtest.h"

#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"

namespace ostd {
namespace {

struct Base {
  explicit Base(int* live) : live_(live) { ++*live_; }
  virtual ~Base() { --*live_; }
  virtual int Kind() const { return 1; }
  int* live_;
};

struct Derived : Base {
  using Base::Base;
  int Kind() const override { return 2; }
};

TEST(BoxTest, OwnsAndFrees) {
  int live = 0;
  {
    Result<Box<Base>> b = MakeBox<Base>(&live);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(live, 1);
    EXPECT_EQ((*b)->Kind(), 1);
  }
  EXPECT_EQ(live, 0);
}

TEST(BoxTest, MoveLeavesEmptyAndConvertsToBase) {
  int live = 0;
  Box<Derived> d = *MakeBox<Derived>(&live);
  Box<Base> b = std::move(d);
  EXPECT_FALSE(d);
  EXPECT_TRUE(d == nullptr);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->Kind(), 2);
  b.Reset();
  EXPECT_EQ(live, 0);
  EXPECT_FALSE(b);
}

TEST(BoxTest, MoveAssignFreesTheOldObject) {
  int live = 0;
  Box<Base> a = *MakeBox<Base>(&live);
  Box<Base> b = *MakeBox<Base>(&live);
  EXPECT_EQ(live, 2);
  a = std::move(b);
  EXPECT_EQ(live, 1);
  a = nullptr;
  EXPECT_EQ(live, 0);
}

TEST(BoxDeathTest, EmptyDereferenceTraps) {
  Box<Base> empty;
  EXPECT_DEATH(empty->Kind(), "");
}

class Node : public RefCounted<Node> {
 public:
  explicit Node(int* live) : live_(live) { ++*live_; }
  virtual ~Node() { --*live_; }
  RefPtr<Node> Self() const { return RefFromThis(); }

 private:
  int* live_;
};

class Leaf : public Node {
 public:
  using Node::Node;
};

TEST(RefPtrTest, LastReferenceFrees) {
  int live = 0;
  RefPtr<Node> a = *MakeRef<Node>(&live);
  EXPECT_EQ(a->ref_count(), 1u);
  {
    RefPtr<Node> b = a;
    EXPECT_EQ(a->ref_count(), 2u);
    RefPtr<Node> c = b->Self();
    EXPECT_EQ(a->ref_count(), 3u);
    EXPECT_TRUE(c == a);
  }
  EXPECT_EQ(a->ref_count(), 1u);
  EXPECT_EQ(live, 1);
  a.Reset();
  EXPECT_EQ(live, 0);
}

TEST(RefPtrTest, DerivedConvertsAndMoves) {
  int live = 0;
  RefPtr<Leaf> leaf = *MakeRef<Leaf>(&live);
  RefPtr<Node> node = leaf;
  EXPECT_EQ(node->ref_count(), 2u);
  RefPtr<Node> moved = std::move(node);
  EXPECT_FALSE(node);
  EXPECT_EQ(moved->ref_count(), 2u);
  leaf.Reset();
  moved = nullptr;
  EXPECT_EQ(live, 0);
}

TEST(RefPtrDeathTest, RefFromThisOnAnObjectMakeRefDidNotMakeTraps) {
  int live = 0;
  Node on_stack(&live);
  EXPECT_DEATH(on_stack.Self(), "");
}

TEST(RefPtrTest, RefFromGivesTheDerivedType) {
  int live = 0;
  RefPtr<Leaf> made = *MakeRef<Leaf>(&live);
  Leaf& leaf = *made;
  RefPtr<Node> node = std::move(made);
  RefPtr<Leaf> again = RefFrom(leaf);  // RefFromThis would give a RefPtr<Node>
  EXPECT_EQ(node->ref_count(), 2u);
  node.Reset();
  EXPECT_EQ(live, 1) << "the RefFrom reference keeps the object";
  again.Reset();
  EXPECT_EQ(live, 0);
}

TEST(RefPtrDeathTest, RefFromOnAnObjectMakeRefDidNotMakeTraps) {
  int live = 0;
  Leaf on_stack(&live);
  EXPECT_DEATH(RefFrom(on_stack), "");
}

}  // namespace
}  // namespace ostd
