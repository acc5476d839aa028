// expect: char_decay
// A char array decays to const char* with no cast: FormatTo then reads past
// it into the next field and the stack, up to some NUL.
#include <cstdint>

#include "ostd/fmt.h"

namespace fixture {
struct Rec {
  char name[8];
  uint64_t secret;
};
void Leak(ostd::FormatSink& sink) {
  Rec r{{'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'}, 0x1122334455667788};
  const char* p = r.name;
  ostd::FormatTo(sink, "{}", p);
}
}  // namespace fixture
