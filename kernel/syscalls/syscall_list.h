// The one declaration of Keel's system calls: every Linux x86_64 number with
// its name; for the calls Keel implements, how a signal restarts them and the
// kind of each argument. Everything else derives from this list: the numbers
// handlers are bound to (sysno::read), the dispatch table's names and argument
// decoding (syscall.h), the restart set (thread_loop.cc), SyscallName
// (names.cc), and tests that compare it with Linux's asm/unistd_64.h
// (//tools/syscalls:syscall_table_test). Fuzzers can read the argument kinds
// from kSyscallSpecs (syscall_spec.h).
//
//   S(nr, name, restart, kinds...)  a call Keel implements
//   N(nr, name)                     a Linux call Keel does not implement (ENOSYS)
//
// restart (what Linux returns when a signal interrupts the call's wait):
//   Sys     ERESTARTSYS: restarted after a handler with SA_RESTART, or when no
//           handler runs; EINTR after a handler without SA_RESTART.
//   NoHand  ERESTARTNOHAND: restarted only when no handler runs (e.g. a stop
//           and SIGCONT); EINTR after any handler.
//   Block   ERESTART_RESTARTBLOCK: as NoHand (Linux resumes with the time left;
//           Keel re-runs the call with its arguments).
//   Never   EINTR stands (or the call does not wait).
//
// kinds (the handler's parameter type in brackets; ArgKind in syscall_spec.h):
//   Fd [int], DirFd [int, AT_FDCWD allowed], Int [int], Uint [uint32_t],
//   Long [int64_t], Ulong [uint64_t], Flags [int, uint32_t or uint64_t: the
//   width the handler checks], Mode [uint32_t], Len [size_t], Off [int64_t],
//   Pid [int], Uid [uint32_t], Sig [int], Clock [int],
//   Addr [uint64_t: a user address the call does not copy through itself],
//   Raw [uint64_t: meaning set by another argument, e.g. ioctl's],
//   Path, String [UserInPtr<const char>: a NUL-terminated string],
//   In [UserInPtr<T>], Out [UserOutPtr<T>], InOut [UserInOutPtr<T>].
//
// Pure data: included by the kernel and by host tests.
#ifndef KERNEL_SYSCALLS_SYSCALL_LIST_H_
#define KERNEL_SYSCALLS_SYSCALL_LIST_H_

// clang-format off
#define KEEL_SYSCALL_LIST(S, N) \
  S(0, read, Sys, Fd, Out, Len)                                 \
  S(1, write, Sys, Fd, In, Len)                                 \
  S(2, open, Sys, Path, Flags, Mode)                            \
  S(3, close, Never, Fd)                                        \
  S(4, stat, Never, Path, Out)                                  \
  S(5, fstat, Never, Fd, Out)                                   \
  S(6, lstat, Never, Path, Out)                                 \
  S(7, poll, NoHand, InOut, Uint, Int)                          \
  S(8, lseek, Never, Fd, Off, Uint)                             \
  S(9, mmap, Never, Addr, Len, Flags, Flags, Fd, Ulong)         \
  S(10, mprotect, Never, Addr, Len, Flags)                      \
  S(11, munmap, Never, Addr, Len)                               \
  S(12, brk, Never, Addr)                                       \
  S(13, rt_sigaction, Never, Sig, In, Out, Len)                 \
  S(14, rt_sigprocmask, Never, Int, In, Out, Len)               \
  S(15, rt_sigreturn, Never)                                    \
  S(16, ioctl, Sys, Fd, Uint, Raw)                              \
  S(17, pread64, Sys, Fd, Out, Len, Off)                        \
  S(18, pwrite64, Sys, Fd, In, Len, Off)                        \
  S(19, readv, Sys, Fd, In, Ulong)                              \
  S(20, writev, Sys, Fd, In, Ulong)                             \
  S(21, access, Never, Path, Mode)                              \
  S(22, pipe, Never, Out)                                       \
  S(23, select, NoHand, Int, InOut, InOut, InOut, InOut)        \
  S(24, sched_yield, Never)                                     \
  S(25, mremap, Never, Addr, Len, Len, Flags, Addr)             \
  S(26, msync, Never, Addr, Len, Flags)                         \
  S(27, mincore, Never, Addr, Len, Out)                         \
  S(28, madvise, Never, Addr, Len, Int)                         \
  S(29, shmget, Never, Int, Ulong, Flags)                       \
  S(30, shmat, Never, Int, Addr, Flags)                         \
  S(31, shmctl, Never, Int, Int, Raw)                           \
  S(32, dup, Never, Fd)                                         \
  S(33, dup2, Never, Fd, Fd)                                    \
  S(34, pause, NoHand)                                          \
  S(35, nanosleep, Block, In, Out)                              \
  S(36, getitimer, Never, Int, Out)                             \
  S(37, alarm, Never, Uint)                                     \
  S(38, setitimer, Never, Int, In, Out)                         \
  S(39, getpid, Never)                                          \
  S(40, sendfile, Sys, Fd, Fd, InOut, Len)                      \
  S(41, socket, Never, Int, Int, Int)                           \
  S(42, connect, Sys, Fd, In, Int)                              \
  S(43, accept, Sys, Fd, Out, InOut)                            \
  S(44, sendto, Sys, Fd, In, Len, Flags, In, Int)               \
  S(45, recvfrom, Sys, Fd, Out, Len, Flags, Out, InOut)         \
  S(46, sendmsg, Sys, Fd, In, Flags)                            \
  S(47, recvmsg, Sys, Fd, InOut, Flags)                         \
  S(48, shutdown, Never, Fd, Int)                               \
  S(49, bind, Never, Fd, In, Int)                               \
  S(50, listen, Never, Fd, Int)                                 \
  S(51, getsockname, Never, Fd, Out, InOut)                     \
  S(52, getpeername, Never, Fd, Out, InOut)                     \
  S(53, socketpair, Never, Int, Int, Int, Out)                  \
  S(54, setsockopt, Never, Fd, Int, Int, In, Int)               \
  S(55, getsockopt, Never, Fd, Int, Int, Out, InOut)            \
  S(56, clone, Never, Flags, Addr, Out, Out, Ulong)             \
  S(57, fork, Never)                                            \
  S(58, vfork, Never)                                           \
  S(59, execve, Never, Path, In, In)                            \
  S(60, exit, Never, Int)                                       \
  S(61, wait4, Sys, Pid, Out, Flags, Out)                       \
  S(62, kill, Never, Pid, Sig)                                  \
  S(63, uname, Never, Out)                                      \
  S(64, semget, Never, Int, Int, Flags)                         \
  S(65, semop, Never, Int, In, Uint)                            \
  S(66, semctl, Never, Int, Int, Int, Raw)                      \
  S(67, shmdt, Never, Addr)                                     \
  S(68, msgget, Never, Int, Flags)                              \
  S(69, msgsnd, Never, Int, In, Len, Flags)                     \
  S(70, msgrcv, Never, Int, Out, Len, Long, Flags)              \
  S(71, msgctl, Never, Int, Int, Raw)                           \
  S(72, fcntl, Sys, Fd, Uint, Raw)                              \
  S(73, flock, Sys, Fd, Uint)                                   \
  S(74, fsync, Never, Fd)                                       \
  S(75, fdatasync, Never, Fd)                                   \
  S(76, truncate, Never, Path, Off)                             \
  S(77, ftruncate, Never, Fd, Off)                              \
  S(78, getdents, Never, Fd, Out, Uint)                         \
  S(79, getcwd, Never, Out, Len)                                \
  S(80, chdir, Never, Path)                                     \
  S(81, fchdir, Never, Fd)                                      \
  S(82, rename, Never, Path, Path)                              \
  S(83, mkdir, Never, Path, Mode)                               \
  S(84, rmdir, Never, Path)                                     \
  S(85, creat, Sys, Path, Mode)                                 \
  S(86, link, Never, Path, Path)                                \
  S(87, unlink, Never, Path)                                    \
  S(88, symlink, Never, Path, Path)                             \
  S(89, readlink, Never, Path, Out, Int)                        \
  S(90, chmod, Never, Path, Mode)                               \
  S(91, fchmod, Never, Fd, Mode)                                \
  S(92, chown, Never, Path, Uid, Uid)                           \
  S(93, fchown, Never, Fd, Uid, Uid)                            \
  S(94, lchown, Never, Path, Uid, Uid)                          \
  S(95, umask, Never, Mode)                                     \
  S(96, gettimeofday, Never, Out, Out)                          \
  S(97, getrlimit, Never, Uint, Out)                            \
  S(98, getrusage, Never, Int, Out)                             \
  S(99, sysinfo, Never, Out)                                    \
  S(100, times, Never, Out)                                     \
  N(101, ptrace)                                                \
  S(102, getuid, Never)                                         \
  N(103, syslog)                                                \
  S(104, getgid, Never)                                         \
  S(105, setuid, Never, Uid)                                    \
  S(106, setgid, Never, Uid)                                    \
  S(107, geteuid, Never)                                        \
  S(108, getegid, Never)                                        \
  S(109, setpgid, Never, Pid, Pid)                              \
  S(110, getppid, Never)                                        \
  S(111, getpgrp, Never)                                        \
  S(112, setsid, Never)                                         \
  S(113, setreuid, Never, Uid, Uid)                             \
  S(114, setregid, Never, Uid, Uid)                             \
  S(115, getgroups, Never, Int, Out)                            \
  S(116, setgroups, Never, Int, In)                             \
  S(117, setresuid, Never, Uid, Uid, Uid)                       \
  S(118, getresuid, Never, Out, Out, Out)                       \
  S(119, setresgid, Never, Uid, Uid, Uid)                       \
  S(120, getresgid, Never, Out, Out, Out)                       \
  S(121, getpgid, Never, Pid)                                   \
  S(122, setfsuid, Never, Uid)                                  \
  S(123, setfsgid, Never, Uid)                                  \
  S(124, getsid, Never, Pid)                                    \
  S(125, capget, Never, InOut, Out)                             \
  S(126, capset, Never, InOut, In)                              \
  S(127, rt_sigpending, Never, Out, Len)                        \
  S(128, rt_sigtimedwait, Never, In, Out, In, Len)              \
  S(129, rt_sigqueueinfo, Never, Pid, Sig, In)                 \
  S(130, rt_sigsuspend, NoHand, In, Len)                        \
  S(131, sigaltstack, Never, In, Out)                           \
  S(132, utime, Never, Path, In)                                \
  S(133, mknod, Never, Path, Mode, Uint)                        \
  N(134, uselib)                                                \
  S(135, personality, Never, Uint)                              \
  N(136, ustat)                                                 \
  S(137, statfs, Never, Path, Out)                              \
  S(138, fstatfs, Never, Fd, Out)                               \
  N(139, sysfs)                                                 \
  S(140, getpriority, Never, Int, Int)                          \
  S(141, setpriority, Never, Int, Int, Int)                     \
  S(142, sched_setparam, Never, Pid, In)                        \
  S(143, sched_getparam, Never, Pid, Out)                       \
  S(144, sched_setscheduler, Never, Pid, Int, In)               \
  S(145, sched_getscheduler, Never, Pid)                        \
  S(146, sched_get_priority_max, Never, Int)                    \
  S(147, sched_get_priority_min, Never, Int)                    \
  S(148, sched_rr_get_interval, Never, Pid, Out)                \
  S(149, mlock, Never, Addr, Len)                               \
  S(150, munlock, Never, Addr, Len)                             \
  S(151, mlockall, Never, Flags)                                \
  S(152, munlockall, Never)                                     \
  N(153, vhangup)                                               \
  N(154, modify_ldt)                                            \
  N(155, pivot_root)                                            \
  N(156, _sysctl)                                               \
  S(157, prctl, Never, Int, Raw, Raw, Raw, Raw)                 \
  S(158, arch_prctl, Never, Int, Raw)                           \
  N(159, adjtimex)                                              \
  S(160, setrlimit, Never, Uint, In)                            \
  S(161, chroot, Never, Path)                                   \
  S(162, sync, Never)                                           \
  N(163, acct)                                                  \
  S(164, settimeofday, Never, In, In)                           \
  S(165, mount, Never, Path, Path, String, Flags, Raw)          \
  S(166, umount2, Never, Path, Flags)                           \
  N(167, swapon)                                                \
  N(168, swapoff)                                               \
  S(169, reboot, Never, Int, Int, Uint, Raw)                    \
  S(170, sethostname, Never, In, Int)                           \
  S(171, setdomainname, Never, In, Int)                         \
  N(172, iopl)                                                  \
  N(173, ioperm)                                                \
  N(174, create_module)                                         \
  S(175, init_module, Never, In, Len, String)                   \
  S(176, delete_module, Never, String, Flags)                   \
  N(177, get_kernel_syms)                                       \
  N(178, query_module)                                          \
  N(179, quotactl)                                              \
  N(180, nfsservctl)                                            \
  N(181, getpmsg)                                               \
  N(182, putpmsg)                                               \
  N(183, afs_syscall)                                           \
  N(184, tuxcall)                                               \
  N(185, security)                                              \
  S(186, gettid, Never)                                         \
  S(187, readahead, Never, Fd, Off, Len)                        \
  S(188, setxattr, Never, Path, String, In, Len, Flags)         \
  S(189, lsetxattr, Never, Path, String, In, Len, Flags)        \
  S(190, fsetxattr, Never, Fd, String, In, Len, Flags)          \
  S(191, getxattr, Never, Path, String, Out, Len)               \
  S(192, lgetxattr, Never, Path, String, Out, Len)              \
  S(193, fgetxattr, Never, Fd, String, Out, Len)                \
  S(194, listxattr, Never, Path, Out, Len)                      \
  S(195, llistxattr, Never, Path, Out, Len)                     \
  S(196, flistxattr, Never, Fd, Out, Len)                       \
  S(197, removexattr, Never, Path, String)                      \
  S(198, lremovexattr, Never, Path, String)                     \
  S(199, fremovexattr, Never, Fd, String)                       \
  S(200, tkill, Never, Pid, Sig)                                \
  S(201, time, Never, Out)                                      \
  S(202, futex, Sys, Addr, Int, Uint, Raw, Addr, Uint)          \
  S(203, sched_setaffinity, Never, Pid, Uint, In)               \
  S(204, sched_getaffinity, Never, Pid, Uint, Out)              \
  N(205, set_thread_area)                                       \
  N(206, io_setup)                                              \
  N(207, io_destroy)                                            \
  N(208, io_getevents)                                          \
  N(209, io_submit)                                             \
  N(210, io_cancel)                                             \
  N(211, get_thread_area)                                       \
  N(212, lookup_dcookie)                                        \
  S(213, epoll_create, Never, Int)                              \
  N(214, epoll_ctl_old)                                         \
  N(215, epoll_wait_old)                                        \
  N(216, remap_file_pages)                                      \
  S(217, getdents64, Never, Fd, Out, Uint)                      \
  S(218, set_tid_address, Never, Addr)                          \
  S(219, restart_syscall, Never)                                \
  S(220, semtimedop, Never, Int, In, Uint, In)                  \
  S(221, fadvise64, Never, Fd, Off, Len, Int)                   \
  S(222, timer_create, Never, Clock, In, Out)                  \
  S(223, timer_settime, Never, Int, Flags, In, Out)            \
  S(224, timer_gettime, Never, Int, Out)                       \
  S(225, timer_getoverrun, Never, Int)                         \
  S(226, timer_delete, Never, Int)                             \
  S(227, clock_settime, Never, Clock, In)                       \
  S(228, clock_gettime, Never, Clock, Out)                      \
  S(229, clock_getres, Never, Clock, Out)                       \
  S(230, clock_nanosleep, Block, Clock, Flags, In, Out)         \
  S(231, exit_group, Never, Int)                                \
  S(232, epoll_wait, Never, Fd, Out, Int, Int)                  \
  S(233, epoll_ctl, Never, Fd, Int, Fd, In)                     \
  S(234, tgkill, Never, Pid, Pid, Sig)                          \
  S(235, utimes, Never, Path, In)                               \
  N(236, vserver)                                               \
  N(237, mbind)                                                 \
  N(238, set_mempolicy)                                         \
  N(239, get_mempolicy)                                         \
  S(240, mq_open, Never, String, Flags, Mode, In)               \
  S(241, mq_unlink, Never, String)                              \
  S(242, mq_timedsend, Sys, Fd, In, Len, Uint, In)              \
  S(243, mq_timedreceive, Sys, Fd, Out, Len, Out, In)           \
  S(244, mq_notify, Never, Fd, In)                              \
  S(245, mq_getsetattr, Never, Fd, In, Out)                     \
  N(246, kexec_load)                                            \
  S(247, waitid, Sys, Int, Pid, Out, Flags, Out)                \
  N(248, add_key)                                               \
  N(249, request_key)                                           \
  N(250, keyctl)                                                \
  S(251, ioprio_set, Never, Int, Int, Int)                      \
  S(252, ioprio_get, Never, Int, Int)                           \
  N(253, inotify_init)                                          \
  N(254, inotify_add_watch)                                     \
  N(255, inotify_rm_watch)                                      \
  N(256, migrate_pages)                                         \
  S(257, openat, Sys, DirFd, Path, Flags, Mode)                 \
  S(258, mkdirat, Never, DirFd, Path, Mode)                     \
  S(259, mknodat, Never, DirFd, Path, Mode, Uint)               \
  S(260, fchownat, Never, DirFd, Path, Uid, Uid, Flags)         \
  S(261, futimesat, Never, DirFd, Path, In)                     \
  S(262, newfstatat, Never, DirFd, Path, Out, Flags)            \
  S(263, unlinkat, Never, DirFd, Path, Flags)                   \
  S(264, renameat, Never, DirFd, Path, DirFd, Path)             \
  S(265, linkat, Never, DirFd, Path, DirFd, Path, Flags)        \
  S(266, symlinkat, Never, Path, DirFd, Path)                   \
  S(267, readlinkat, Never, DirFd, Path, Out, Int)              \
  S(268, fchmodat, Never, DirFd, Path, Mode)                    \
  S(269, faccessat, Never, DirFd, Path, Mode)                   \
  S(270, pselect6, NoHand, Int, InOut, InOut, InOut, InOut, In) \
  S(271, ppoll, NoHand, InOut, Uint, InOut, In, Len)            \
  S(272, unshare, Never, Flags)                                 \
  S(273, set_robust_list, Never, Addr, Len)                     \
  S(274, get_robust_list, Never, Pid, Out, Out)                 \
  S(275, splice, Sys, Fd, InOut, Fd, InOut, Len, Flags)         \
  S(276, tee, Sys, Fd, Fd, Len, Flags)                          \
  S(277, sync_file_range, Never, Fd, Off, Off, Flags)           \
  S(278, vmsplice, Sys, Fd, In, Ulong, Flags)                   \
  N(279, move_pages)                                            \
  S(280, utimensat, Never, DirFd, Path, In, Flags)              \
  S(281, epoll_pwait, Never, Fd, Out, Int, Int, In, Len)        \
  S(282, signalfd, Never, Fd, In, Len)                          \
  S(283, timerfd_create, Never, Clock, Flags)                   \
  S(284, eventfd, Never, Uint)                                  \
  S(285, fallocate, Never, Fd, Int, Off, Off)                   \
  S(286, timerfd_settime, Never, Fd, Flags, In, Out)            \
  S(287, timerfd_gettime, Never, Fd, Out)                       \
  S(288, accept4, Sys, Fd, Out, InOut, Flags)                   \
  S(289, signalfd4, Never, Fd, In, Len, Flags)                  \
  S(290, eventfd2, Never, Uint, Flags)                          \
  S(291, epoll_create1, Never, Flags)                           \
  S(292, dup3, Never, Fd, Fd, Flags)                            \
  S(293, pipe2, Never, Out, Flags)                              \
  N(294, inotify_init1)                                         \
  S(295, preadv, Sys, Fd, In, Ulong, Ulong, Ulong)              \
  S(296, pwritev, Sys, Fd, In, Ulong, Ulong, Ulong)             \
  S(297, rt_tgsigqueueinfo, Never, Pid, Pid, Sig, In)           \
  S(298, perf_event_open, Never, InOut, Pid, Int, Int, Flags)   \
  S(299, recvmmsg, Sys, Fd, InOut, Uint, Flags, InOut)          \
  N(300, fanotify_init)                                         \
  N(301, fanotify_mark)                                         \
  S(302, prlimit64, Never, Pid, Uint, In, Out)                  \
  N(303, name_to_handle_at)                                     \
  N(304, open_by_handle_at)                                     \
  N(305, clock_adjtime)                                         \
  S(306, syncfs, Never, Fd)                                     \
  S(307, sendmmsg, Sys, Fd, InOut, Uint, Flags)                 \
  S(308, setns, Never, Fd, Flags)                               \
  S(309, getcpu, Never, Out, Out, Addr)                         \
  S(310, process_vm_readv, Never, Pid, In, Ulong, In, Ulong, Flags) \
  S(311, process_vm_writev, Never, Pid, In, Ulong, In, Ulong, Flags) \
  S(312, kcmp, Never, Pid, Pid, Int, Ulong, Raw)                \
  S(313, finit_module, Never, Fd, String, Flags)                \
  S(314, sched_setattr, Never, Pid, InOut, Flags)               \
  S(315, sched_getattr, Never, Pid, Out, Uint, Flags)           \
  S(316, renameat2, Never, DirFd, Path, DirFd, Path, Flags)     \
  N(317, seccomp)                                               \
  S(318, getrandom, Never, Out, Len, Flags)                     \
  S(319, memfd_create, Never, String, Flags)                    \
  N(320, kexec_file_load)                                       \
  N(321, bpf)                                                   \
  S(322, execveat, Never, DirFd, Path, In, In, Flags)           \
  N(323, userfaultfd)                                           \
  S(324, membarrier, Never, Int, Flags, Int)                    \
  S(325, mlock2, Never, Addr, Len, Flags)                       \
  S(326, copy_file_range, Never, Fd, InOut, Fd, InOut, Len, Flags) \
  S(327, preadv2, Sys, Fd, In, Ulong, Ulong, Ulong, Flags)      \
  S(328, pwritev2, Sys, Fd, In, Ulong, Ulong, Ulong, Flags)     \
  N(329, pkey_mprotect)                                         \
  N(330, pkey_alloc)                                            \
  N(331, pkey_free)                                             \
  S(332, statx, Never, DirFd, Path, Flags, Uint, Out)           \
  N(333, io_pgetevents)                                         \
  S(334, rseq, Never, Addr, Uint, Flags, Uint)                  \
  S(424, pidfd_send_signal, Never, Fd, Sig, In, Flags)         \
  N(425, io_uring_setup)                                        \
  N(426, io_uring_enter)                                        \
  N(427, io_uring_register)                                     \
  N(428, open_tree)                                             \
  N(429, move_mount)                                            \
  N(430, fsopen)                                                \
  N(431, fsconfig)                                              \
  N(432, fsmount)                                               \
  N(433, fspick)                                                \
  S(434, pidfd_open, Never, Pid, Flags)                        \
  S(435, clone3, Never, In, Len)                                \
  S(436, close_range, Never, Uint, Uint, Flags)                 \
  S(437, openat2, Sys, DirFd, Path, In, Len)                    \
  S(438, pidfd_getfd, Never, Fd, Fd, Flags)                    \
  S(439, faccessat2, Never, DirFd, Path, Mode, Flags)           \
  N(440, process_madvise)                                       \
  S(441, epoll_pwait2, Never, Fd, Out, Int, In, In, Len)        \
  N(442, mount_setattr)                                         \
  N(443, quotactl_fd)                                           \
  N(444, landlock_create_ruleset)                               \
  N(445, landlock_add_rule)                                     \
  N(446, landlock_restrict_self)                                \
  N(447, memfd_secret)                                          \
  N(448, process_mrelease)                                      \
  S(449, futex_waitv, Sys, In, Uint, Uint, In, Clock)           \
  N(450, set_mempolicy_home_node)
// clang-format on

#endif  // KERNEL_SYSCALLS_SYSCALL_LIST_H_
