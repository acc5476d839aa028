// expect: attribute
// may_alias switches off type-based alias rules for a type: a tool for type
// punning, refused like the other code-generation attributes.
#include <cstdint>

namespace fixture {
typedef uint64_t __attribute__((may_alias)) AliasU64;
AliasU64 g_word = 0;
}  // namespace fixture
