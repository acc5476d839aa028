// expect: internal_decl
// An explicit instantiation may name a private member (access checks do not
// apply there); the gate rejects the reference to it.
#include "vault.h"

template <int fixture_tcb::Vault::*kMember>
struct Rob {
  static int Get(const fixture_tcb::Vault& v) { return v.*kMember; }
};
template struct Rob<&fixture_tcb::Vault::secret_>;  // Rob<...>::Get now reads secret_.
