#include "ostd/util/downcast.h"

#include "gtest/gtest.h"

#include "ostd/util/box.h"
#include "ostd/util/ref_ptr.h"

namespace ostd {
namespace {

class Shape : public RefCounted<Shape>, public DowncastRoot<Shape> {
 public:
  explicit Shape(int id) : id_(id) {}
  virtual ~Shape() = default;
  int id() const { return id_; }

 private:
  int id_;
};

class Circle : public Derives<Circle, Shape> {
 public:
  explicit Circle(int id, int r) : Derives(this, id), r_(r) {}
  int r() const { return r_; }

 private:
  int r_;
};

class Square : public Derives<Square, Shape> {
 public:
  explicit Square(int id) : Derives(this, id) {}
};

// A Circle by inheritance: still a Circle, and also a Ring.
class Ring : public Derives<Ring, Circle> {
 public:
  Ring(int id, int r, int hole) : Derives(this, id, r), hole_(hole) {}
  int hole() const { return hole_; }

 private:
  int hole_;
};

// Derives from Circle without its own layer: a Circle, but not a downcast target.
class PlainCircle : public Circle {
 public:
  PlainCircle() : Circle(7, 1) {}
};

TEST(DowncastTest, ExactType) {
  RefPtr<Shape> s = *MakeRef<Circle>(1, 5);
  Circle* c = DowncastTo<Circle>(*s);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->r(), 5);
  EXPECT_EQ(c->id(), 1);
  EXPECT_EQ(static_cast<Shape*>(c), s.get());
}

TEST(DowncastTest, RefPtrShares) {
  RefPtr<Shape> s = *MakeRef<Ring>(1, 5, 2);
  RefPtr<Circle> c = DowncastRef<Circle>(s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->r(), 5);
  EXPECT_EQ(s->ref_count(), 2u);
  EXPECT_FALSE(DowncastRef<Square>(s));
  EXPECT_EQ(s->ref_count(), 2u);
  s.Reset();
  EXPECT_EQ(c->ref_count(), 1u);
  RefPtr<Shape> empty;
  EXPECT_FALSE(DowncastRef<Circle>(empty));
}

TEST(DowncastTest, OtherTypeIsNull) {
  RefPtr<Shape> s = *MakeRef<Square>(2);
  EXPECT_EQ(DowncastTo<Circle>(*s), nullptr);
  EXPECT_EQ(DowncastTo<Ring>(*s), nullptr);
  EXPECT_NE(DowncastTo<Square>(*s), nullptr);
}

TEST(DowncastTest, RootObjectIsNothingDerived) {
  Shape plain(3);
  EXPECT_EQ(DowncastTo<Circle>(plain), nullptr);
  EXPECT_EQ(DowncastTo<Square>(plain), nullptr);
}

TEST(DowncastTest, DerivedOfDerivedIsBoth) {
  Box<Ring> ring = *MakeBox<Ring>(4, 9, 2);
  Shape& s = *ring;
  Circle* c = DowncastTo<Circle>(s);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->r(), 9);
  Ring* r = DowncastTo<Ring>(s);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->hole(), 2);
  // From an intermediate base too.
  EXPECT_EQ(DowncastTo<Ring>(*c), r);
  // A Circle that is not a Ring.
  Circle circle(5, 1);
  EXPECT_EQ(DowncastTo<Ring>(circle), nullptr);
  EXPECT_EQ(DowncastTo<Ring>(static_cast<Shape&>(circle)), nullptr);
}

TEST(DowncastTest, InheritedWithoutLayerIsStillTheBase) {
  PlainCircle p;
  EXPECT_NE(DowncastTo<Circle>(static_cast<Shape&>(p)), nullptr);
  EXPECT_EQ(DowncastTo<Ring>(static_cast<Shape&>(p)), nullptr);
}

TEST(DowncastTest, ConstAndPointerForms) {
  const Circle c(6, 3);
  const Shape& s = c;
  const Circle* cc = DowncastTo<Circle>(s);
  EXPECT_EQ(cc, &c);
  Shape* null = nullptr;
  EXPECT_EQ(DowncastTo<Circle>(null), nullptr);
  const Shape* sp = &c;
  EXPECT_EQ(DowncastTo<Circle>(sp), &c);
  EXPECT_EQ(DowncastTo<Square>(sp), nullptr);
}

// During destruction the object falls back to its base's type: by the time
// ProbeShape's destructor runs, the ProbedShape part is gone.
class ProbedShape;
class ProbeShape : public Shape {
 public:
  explicit ProbeShape(bool* seen) : Shape(0), seen_(seen) {}
  ~ProbeShape() override;
  bool* seen_;
};

class ProbedShape : public Derives<ProbedShape, ProbeShape> {
 public:
  explicit ProbedShape(bool* seen) : Derives(this, seen) {}
};

ProbeShape::~ProbeShape() {
  *seen_ = DowncastTo<ProbedShape>(static_cast<Shape&>(*this)) != nullptr;
}

TEST(DowncastTest, DestroyedLayerNoLongerMatches) {
  bool seen = true;
  {
    ProbedShape p(&seen);
    EXPECT_NE(DowncastTo<ProbedShape>(static_cast<Shape&>(p)), nullptr);
    EXPECT_EQ(DowncastTo<Circle>(static_cast<Shape&>(p)), nullptr);
  }
  EXPECT_FALSE(seen);
}

class SelfForgingCircle : public Derives<SelfForgingCircle, Shape> {
 public:
  SelfForgingCircle() : Derives(this, 0) {}
  // Builds a standalone Derives<SelfForgingCircle, Shape> (allowed to name the
  // constructor, being the friend): it must trap rather than make an object
  // that claims to be a SelfForgingCircle.
  static void ForgeStandalone(SelfForgingCircle* some) {
    Derives<SelfForgingCircle, Shape> fake(some, 0);
  }
};

TEST(DowncastDeathTest, StandaloneLayerTraps) {
  SelfForgingCircle real;
  EXPECT_DEATH(SelfForgingCircle::ForgeStandalone(&real), "");
  EXPECT_DEATH(SelfForgingCircle::ForgeStandalone(nullptr), "");
}

// Compile-time properties.
static_assert(!std::is_copy_constructible_v<Derives<Circle, Shape>>);
static_assert(!std::is_move_constructible_v<Derives<Circle, Shape>>);
static_assert(!std::is_constructible_v<Derives<Circle, Shape>, Circle*, int>);  // private
static_assert(!std::is_constructible_v<DowncastRoot<Shape>>);
static_assert(!std::is_copy_assignable_v<downcast_detail::TypeSlot>);
static_assert(!std::is_copy_constructible_v<downcast_detail::TypeSlot>);
static_assert(!std::is_trivially_copyable_v<Shape>);  // no bit_cast can forge a type
template <typename D>
concept Downcastable = requires(Shape& s) { DowncastTo<D>(s); };
static_assert(Downcastable<Circle>);
static_assert(Downcastable<Ring>);
static_assert(!Downcastable<int>);

}  // namespace
}  // namespace ostd
