// Clean: stored callables that own what they use (copies, RefPtr), a
// TaskGroup whose tasks borrow the scope's locals (it joins before they go),
// and guards as local variables.
#include <atomic>
#include <cstdint>

#include "ostd/result.h"
#include "ostd/sync.h"
#include "ostd/task/task.h"
#include "ostd/util/ref_ptr.h"

namespace fixture {

struct Counter : ostd::RefCounted<Counter> {
  std::atomic<uint64_t> hits{0};
};

ostd::Status Owned() {
  OSTD_TRY_ASSIGN(ostd::RefPtr<Counter> c, ostd::MakeRef<Counter>());
  uint64_t step = 2;
  OSTD_TRY_ASSIGN(ostd::TaskRef t, ostd::Spawn([c, step] { c->hits.fetch_add(step); }));
  t->Join();
  return {};
}

ostd::Status Borrowed() {
  std::atomic<uint64_t> hits{0};
  ostd::SpinLock lock;
  ostd::TaskGroup group;
  for (int i = 0; i < 4; ++i) {
    OSTD_TRY(group.Spawn([&hits, &lock] {
      ostd::SpinLockGuard guard(lock);
      hits.fetch_add(1);
    }));
  }
  group.Join();
  return hits.load() == 4 ? ostd::Status() : ostd::Err(ostd::Errno::kEIO);
}

}  // namespace fixture
