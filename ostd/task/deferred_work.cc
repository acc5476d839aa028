#include "ostd/task/deferred_work.h"

namespace ostd {

void DeferredWork::Loop(State* state) {
  for (;;) {
    state->wq.Wait([state] {
      return state->pending.load(std::memory_order_acquire) ||
             state->stop.load(std::memory_order_acquire);
    });
    if (state->stop.load(std::memory_order_acquire)) return;
    // Clear before running: a Schedule() during the run sets it again and
    // makes the loop run once more.
    state->pending.store(false, std::memory_order_seq_cst);
    state->Run();
    state->runs.fetch_add(1, std::memory_order_release);
  }
}

Result<DeferredWork> DeferredWork::Start(State* state, const char* name) {
  // The task gets the raw pointer: the state outlives it, since Reset() joins
  // the task before deleting the state.
  Result<TaskRef> task = Spawn([state] { Loop(state); }, TaskOptions().name(name));
  if (!task) {
    delete state;
    return Err(task.error());
  }
  return DeferredWork(state, std::move(*task));
}

void DeferredWork::Schedule() const {
  if (state_ == nullptr) return;
  state_->pending.store(true, std::memory_order_seq_cst);
  state_->wq.WakeOne();
}

uint64_t DeferredWork::runs() const {
  return state_ == nullptr ? 0 : state_->runs.load(std::memory_order_acquire);
}

void DeferredWork::Reset() {
  if (state_ == nullptr) return;
  state_->stop.store(true, std::memory_order_seq_cst);
  state_->wq.WakeAll();
  task_->Join();
  task_.Reset();
  delete state_;
  state_ = nullptr;
}

DeferredWork& DeferredWork::operator=(DeferredWork&& other) noexcept {
  if (this != &other) {
    Reset();
    state_ = std::exchange(other.state_, nullptr);
    task_ = std::move(other.task_);
  }
  return *this;
}

DeferredWork::~DeferredWork() { Reset(); }

}  // namespace ostd
