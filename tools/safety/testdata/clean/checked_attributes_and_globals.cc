// Clean: the attributes that only check or hint, [[likely]]/[[unlikely]]/
// [[fallthrough]], constant-initialized globals (a polymorphic one with a
// constexpr constructor included) and spans over std::array and ostd::Vec.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "ostd/util/vec.h"

namespace fixture {

class Shape {
 public:
  virtual uint64_t Area() const = 0;

 protected:
  ~Shape() = default;
};

class Square final : public Shape {
 public:
  explicit constexpr Square(uint64_t side) : side_(side) {}
  uint64_t Area() const override { return side_ * side_; }

 private:
  uint64_t side_;
};

constinit Square g_square(3);
std::array<uint64_t, 4> g_table{};
std::array<uint8_t, 64> g_buffer;

[[nodiscard]] uint64_t Sum(std::span<const uint64_t> values) {
  uint64_t total = 0;
  for (uint64_t v : values) total += v;
  return total;
}

[[gnu::noinline]] uint64_t Use(int kind, const ostd::Vec<uint64_t>& vec) {
  uint64_t r = Sum(g_table) + Sum(std::span<const uint64_t>(vec));
  std::string_view name("square");
  switch (kind) {
    case 0:
      [[likely]] r += g_square.Area();
      [[fallthrough]];
    case 1:
      r += name.size();
      break;
    default:
      [[unlikely]] r = 0;
  }
  return r;
}

}  // namespace fixture
