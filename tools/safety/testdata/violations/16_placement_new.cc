// expect: placement_new
#include <cstddef>
#include <new>

struct Foo {
  int x = 0;
};

alignas(Foo) std::byte storage[sizeof(Foo)];

Foo* Make() { return new (storage) Foo; }
