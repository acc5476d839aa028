// expect: va_arg
#include <cstdarg>

int* NextPointer(va_list ap) { return va_arg(ap, int*); }
