// A Keel-native module: C++ against ostd's public API, built by keel_module
// (build/module.bzl) and loaded with insmod like a kbuild module. On load it
// logs a greeting, keeps a heap-allocated counter (ostd::Box) and notes the
// time; on unload it logs how long it was loaded.
#include <cstdint>
#include <utility>

#include "kernel/module/native_module.h"
#include "ostd/log.h"
#include "ostd/timer.h"
#include "ostd/util/box.h"

namespace {

struct State {
  uint64_t loaded_at_ns = 0;
  uint64_t greetings = 0;
};

// No static constructor or destructor: a module has none (Box's default
// constructor is constant, and Exit releases the state itself).
[[clang::no_destroy]] constinit ostd::Box<State> state;

}  // namespace

int keel_module::Init() {
  ostd::Result<ostd::Box<State>> s = ostd::MakeBox<State>();
  if (!s) return -static_cast<int>(s.error());
  state = std::move(*s);
  state->loaded_at_ns = ostd::timer::NowNanos();
  state->greetings = 1;
  OSTD_LOG_INFO("hello_module: hello from a Keel-native module ({} greeting)", state->greetings);
  return 0;
}

void keel_module::Exit() {
  uint64_t ms = (ostd::timer::NowNanos() - state->loaded_at_ns) / 1'000'000;
  OSTD_LOG_INFO("hello_module: goodbye after {} ms", ms);
  state.Reset();
}
