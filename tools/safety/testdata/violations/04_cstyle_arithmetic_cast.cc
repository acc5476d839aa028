// expect: cstyle_cast
int Truncate(double value) { return (int)value; }
