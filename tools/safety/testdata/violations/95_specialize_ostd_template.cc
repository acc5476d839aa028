// expect: foreign_namespace
// An explicit specialization of an ostd template is code in ostd's scope.
#include "ostd/util/box.h"

struct Evil {};

template <>
class ostd::Box<Evil> {
 public:
  int x = 0;
};
