// Safe code that the lint must accept: typed views, static_cast, lambdas, and
// text that merely mentions forbidden words. Comments may say reinterpret_cast,
// const_cast, asm("nop"), volatile, union, memcpy or new (ptr) T freely.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace clean {

/* A block comment about __asm__ volatile and memset(p, 0, n). */
constexpr std::string_view kBanner = "reinterpret_cast<int*>(p) asm volatile union memcpy";
constexpr std::string_view kRaw = R"delim(raw: )" asm("hlt") const_cast union )delim";
constexpr std::u8string_view kPrefixed = u8"volatile";
constexpr char kQuote = '"';
constexpr char kApostrophe = '\'';
constexpr std::uint64_t kMillion = 1'000'000;

// Identifiers that contain forbidden words must not trigger.
struct Counters {
  int my_asm_count = 0;
  int volatile_reads = 0;
  int union_find_merges = 0;
  int memcpy_calls = 0;
};

// Disjoint-set forest over a fixed array: indexing through std::span only.
class UnionFind {
 public:
  explicit UnionFind(std::span<std::size_t> parent) : parent_(parent) {
    for (std::size_t i = 0; i < parent_.size(); ++i) {
      parent_[i] = i;
    }
  }

  std::size_t Find(std::size_t x) {
    while (parent_[x] != x) {
      x = parent_[x];
    }
    return x;
  }

  void Merge(std::size_t a, std::size_t b) { parent_[Find(a)] = Find(b); }

 private:
  std::span<std::size_t> parent_;
};

std::uint32_t Checksum(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum = 0;
  for (std::uint8_t b : bytes) {
    sum = std::rotl(sum, 5) ^ static_cast<std::uint32_t>(b);
  }
  return sum;
}

int Run() {
  std::array<std::size_t, 8> storage{};
  UnionFind uf(storage);
  uf.Merge(1, 2);
  Counters counters;
  counters.union_find_merges += 1;
  std::array<std::uint8_t, 4> data = {1, 2, 3, 4};
  auto add = [&counters](int n) { counters.my_asm_count += n; };
  add(static_cast<int>(Checksum(data) & 0xff));
  auto bits = std::bit_cast<std::uint32_t>(1.0f);
  (void)bits;
  (void)kBanner;
  (void)kRaw;
  (void)kPrefixed;
  (void)kQuote;
  (void)kApostrophe;
  return counters.my_asm_count + static_cast<int>(kMillion % 7) + static_cast<int>(sizeof(int));
}

}  // namespace clean
