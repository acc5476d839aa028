// Range-for over containers, checked indexing, pointers that are always
// initialized: none of this may trip the gate.
#include <array>
#include <cstdint>
#include <span>

struct Node {
  Node* next = nullptr;
  int value = 0;
};

class Cursor {
 public:
  explicit Cursor(Node& n) : at_(&n) {}
  int value() const { return at_->value; }

 private:
  Node* at_;
};

int Sum(std::span<const int> s) {
  int total = 0;
  for (int v : s) total += v;
  for (size_t i = 0; i < s.size(); ++i) total += s[i];
  return total;
}

int Walk(Node& head) {
  Node* p = &head;
  int n = 0;
  while (p != nullptr) {
    n += Cursor(*p).value();
    p = p->next;
  }
  std::array<uint8_t, 4> a{};
  for (uint8_t& b : a) b = 1;
  return n + a[0];
}
