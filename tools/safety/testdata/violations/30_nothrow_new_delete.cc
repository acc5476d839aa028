// expect: raw_new
// Fallible allocation with `new (std::nothrow)` is still raw new/delete: untrusted code
// owns through ostd::Box / ostd::RefPtr (MakeBox / MakeRef) instead.
#include <cstdint>
#include <new>
#include <optional>
#include <utility>

namespace clean {

struct Node {
  explicit Node(int v) : value(v) {}
  int value;
  Node* next = nullptr;
};

// Owns a singly linked list; every allocation may fail.
class Stack {
 public:
  Stack() = default;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  ~Stack() {
    while (head_ != nullptr) {
      Node* next = head_->next;
      delete head_;
      head_ = next;
    }
  }

  [[nodiscard]] bool Push(int value) {
    Node* node = new (std::nothrow) Node(value);
    if (node == nullptr) {
      return false;
    }
    node->next = std::exchange(head_, node);
    return true;
  }

  std::optional<int> Pop() {
    if (head_ == nullptr) {
      return std::nullopt;
    }
    Node* top = std::exchange(head_, head_->next);
    int value = top->value;
    delete top;
    return value;
  }

 private:
  Node* head_ = nullptr;
};

std::int64_t SumOfSquares(int n) {
  Stack stack;
  for (int i = 1; i <= n; ++i) {
    if (!stack.Push(i * i)) {
      return -1;
    }
  }
  std::int64_t total = 0;
  while (auto v = stack.Pop()) {
    total += *v;
  }
  auto* extra = new (::std::nothrow) Node(1);
  if (extra != nullptr) {
    total += extra->value;
    delete extra;
  }
  return total;
}

}  // namespace clean
