// expect: cstyle_cast
using IntPtr = int*;

IntPtr AsInts(long* longs) { return IntPtr(longs); }
