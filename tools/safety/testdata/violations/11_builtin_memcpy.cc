// expect: memfunc
void Copy(int& dst, const int& src) { __builtin_memcpy(&dst, &src, sizeof(int)); }
