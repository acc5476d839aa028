// The life of a user thread: run user code, handle what brought it back
// (system calls, exceptions, signals, preemption), until it exits.
#ifndef KERNEL_PROCESS_THREAD_LOOP_H_
#define KERNEL_PROCESS_THREAD_LOOP_H_

namespace kernel {

class Thread;

// The body of a user thread's task. Frees the thread when it ends.
void RunThread(Thread* t);

}  // namespace kernel

#endif  // KERNEL_PROCESS_THREAD_LOOP_H_
