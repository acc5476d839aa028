// expect: volatile
#define FIXTURE_CAT(a, b) a##b

int Poll() {
  FIXTURE_CAT(vola, tile) int flag = 0;
  return flag;
}
