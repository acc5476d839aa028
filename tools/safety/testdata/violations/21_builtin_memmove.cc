// expect: memfunc
void Move(int& dst, const int& src) { __builtin_memmove(&dst, &src, sizeof(int)); }
