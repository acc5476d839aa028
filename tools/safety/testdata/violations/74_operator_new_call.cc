// expect: raw_new
void* Grab() { return ::operator new(64); }
