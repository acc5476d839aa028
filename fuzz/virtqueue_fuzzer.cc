// drivers/virtio/queue_state.h: the split virtqueue bookkeeping against a
// device that may report anything (used index, used element id and length).
//
// Input: the queue size (a byte: 1 << (b % 9)), then operations, two to nine
// bytes each: the driver allocates, abandons or publishes chains; the
// "device" writes used indices and elements. A shadow model checks that
// descriptors are never lost or handed out twice, and that a broken queue
// stays broken.
#include <array>
#include <vector>

#include "drivers/virtio/queue_state.h"
#include "fuzz/fuzz_check.h"

using drivers::virtio::SplitQueueState;

namespace {

class Input {
 public:
  explicit Input(std::span<const uint8_t> b) : b_(b) {}
  bool empty() const { return pos_ >= b_.size(); }
  uint8_t U8() { return pos_ < b_.size() ? b_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() { return U16() | (uint32_t{U16()} << 16); }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

// Removes `id` from `v`; true if it was there.
bool Erase(std::vector<uint16_t>& v, uint32_t id) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == id) {
      v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(fuzz::Bytes(data, size));
  uint16_t qsize = static_cast<uint16_t>(1u << (in.U8() % 9));
  ostd::Result<SplitQueueState> created = SplitQueueState::Create(qsize);
  FUZZ_CHECK(created.has_value());
  SplitQueueState& q = *created;
  std::vector<uint16_t> allocated;  // heads not yet published
  std::vector<uint16_t> published;  // heads the device holds
  uint16_t used_idx = 0;            // what the fake device has written
  for (int steps = 0; !in.empty() && steps < 4096; ++steps) {
    bool was_broken = q.broken();
    switch (in.U8() % 6) {
      case 0: {  // allocate a chain
        std::array<uint16_t, 8> ids{};
        size_t n = 1 + in.U8() % ids.size();
        uint16_t before = q.free_count();
        ostd::Status s = q.AllocChain(std::span(ids).first(n), in.U16());
        if (s.has_value()) {
          FUZZ_CHECK(q.free_count() == before - n);
          for (size_t i = 0; i < n; ++i) FUZZ_CHECK(ids[i] < qsize);
          allocated.push_back(ids[0]);
        }
        break;
      }
      case 1:  // abandon one (or a bogus head)
        if (!allocated.empty() && (in.U8() & 1)) {
          FUZZ_CHECK(q.AbandonChain(allocated.back()).has_value() == !q.broken());
          allocated.pop_back();
        } else {
          uint16_t head = in.U16();
          // Only an allocated, unpublished head may be abandoned.
          if (q.AbandonChain(head).has_value()) FUZZ_CHECK(Erase(allocated, head));
        }
        break;
      case 2:  // publish
        if (!allocated.empty()) {
          ostd::Result<uint16_t> slot = q.PublishChain(allocated.back());
          if (slot.has_value()) {
            FUZZ_CHECK(*slot < qsize);
            published.push_back(allocated.back());
          }
          allocated.pop_back();
        } else {
          uint16_t head = in.U16();
          if (q.PublishChain(head).has_value()) {
            FUZZ_CHECK(Erase(allocated, head));
            published.push_back(head);
          }
        }
        break;
      case 3:  // the device moves its used index by some amount
        used_idx = static_cast<uint16_t>(used_idx + in.U8());
        (void)q.NewUsed(used_idx);
        break;
      case 4: {  // the device returns a chain, honestly or not
        uint32_t id = in.U8() & 1 && !published.empty() ? published.front() : in.U32();
        ostd::Result<drivers::virtio::UsedChain> c = q.CompleteUsed(id, in.U32());
        if (c.has_value()) {
          FUZZ_CHECK(c->head == id);
          FUZZ_CHECK(Erase(published, id));  // only a chain the device holds
        }
        break;
      }
      default:  // walk a chain
        for (uint16_t id = in.U16() % qsize, n = 0; id != SplitQueueState::kNoNext && n <= qsize;
             id = q.next_in_chain(id), ++n) {
          FUZZ_CHECK(n < qsize);
        }
        break;
    }
    if (was_broken) FUZZ_CHECK(q.broken());
    FUZZ_CHECK(q.free_count() <= qsize && q.in_flight() <= qsize);
    FUZZ_CHECK(q.next_used_slot() < qsize);
  }
  return 0;
}
