// expect: attribute
extern "C" void fixture_target() {}
extern "C" void fixture_alias() __attribute__((alias("fixture_target")));
