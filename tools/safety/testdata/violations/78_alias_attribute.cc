// expect: attribute
// An alias makes a second name for any symbol, e.g. a TCB-internal one.
void FixtureTarget() {}
void FixtureAlias() __attribute__((alias("_Z13FixtureTargetv")));
