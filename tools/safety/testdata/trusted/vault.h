// Fixture-only trusted header (lint.py --trusted-include): a TCB-like class
// with private state.
#pragma once
namespace fixture_tcb {
class Vault {
 public:
  int Public() const { return 0; }

 private:
  int secret_ = 42;
};
}  // namespace fixture_tcb
