// expect: asm
void Pause() { asm("pause"); }
