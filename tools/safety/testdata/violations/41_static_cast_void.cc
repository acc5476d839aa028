// expect: downcast
int Read(void* opaque) { return *static_cast<int*>(opaque); }
