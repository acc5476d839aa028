// expect: include
// Frame metadata words are TCB-only: a FrameMetaTable over a span could claim
// or free frames by number.
#include "ostd/mm/internal/frame_meta.h"

int Answer() { return 42; }
