// Annotations that the safety gate (tools/safety) reads on ostd's own
// declarations.
//
// OSTD_SCOPED_GUARD marks an ostd class whose object holds something for the
// scope that made it (an interrupt state, a preemption count, a lock): the
// safety gate lets untrusted code have one only as a local variable, never
// as a member, a global, a template argument (Box, std::optional, Vec) or a
// function's return value (docs/safety.md, rule `scoped_guard`), so it cannot
// outlive its scope or be released by another task or CPU.
#ifndef OSTD_SCOPED_GUARD_H_
#define OSTD_SCOPED_GUARD_H_

// The attribute the gate looks for on a class declaration.
#define OSTD_SCOPED_GUARD [[clang::annotate("keel_scoped_guard")]]

// Marks an ostd function that keeps the callable it is given after it
// returns (a task body, deferred work, an interrupt handler): the gate
// refuses callables from untrusted code that capture by reference, capture
// `this`, or hold a raw pointer, span or string_view (rule `stored_borrow`).
#define OSTD_STORES_CALLABLE [[clang::annotate("keel_stores_callable")]]

// Marks an ostd base class whose derived objects ostd keeps and calls later
// (probe handlers): the gate applies the same rule to the members of an
// untrusted class derived from it.
#define OSTD_STORED_OBJECT [[clang::annotate("keel_stored_object")]]

// Marks an ostd class that borrows memory it does not own (a sink over the
// caller's buffer): the gate treats it like a raw pointer in callables ostd
// keeps.
#define OSTD_BORROWING_VIEW [[clang::annotate("keel_borrowing_view")]]

// Marks an ostd class that untrusted code keeps only through its owning
// handle (Task, kept as a TaskRef): a raw pointer or reference to one is a
// borrow for the current call, which the gate refuses in a member, a
// variable with static storage, a type argument of either, or a lambda's
// capture (rule `handle_owned`), so it cannot outlive the object.
#define OSTD_HANDLE_OWNED [[clang::annotate("keel_handle_owned")]]

#endif  // OSTD_SCOPED_GUARD_H_
