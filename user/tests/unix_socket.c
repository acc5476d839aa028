// UNIX-domain sockets: socket/socketpair arguments; stream sockets over a
// path and an abstract name (bind, listen, connect, accept4, getsockname,
// getpeername, SO_PEERCRED); stream data (partial reads, MSG_PEEK,
// MSG_WAITALL, MSG_DONTWAIT, EOF, ECONNRESET, EPIPE with and without
// SIGPIPE, shutdown); datagram sockets (addresses, connect, EPERM,
// ECONNREFUSED, MSG_TRUNC, EMSGSIZE); seqpacket boundaries; SCM_RIGHTS
// (MSG_CTRUNC, MSG_CMSG_CLOEXEC) and SCM_CREDENTIALS; sendmmsg/recvmmsg;
// options; poll and epoll readiness; fstat; and the errors of each.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "user/lib/check.h"
#include "user/lib/linux_version.h"

static volatile sig_atomic_t g_sigpipes;
static void on_sigpipe(int sig) {
  (void)sig;
  ++g_sigpipes;
}

static socklen_t path_addr(struct sockaddr_un* a, const char* path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  strcpy(a->sun_path, path);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un* a, const char* name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(a->sun_path + 1, name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void check_socket_args(void) {
  CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
  CHECK_ERR(socket(46, SOCK_STREAM, 0), EAFNOSUPPORT);
  CHECK_ERR(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
  CHECK_ERR(socket(AF_UNIX, 11, 0), EINVAL);
  CHECK_ERR(socket(AF_UNIX, 4 /* SOCK_RDM */, 0), ESOCKTNOSUPPORT);
  CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
  int fd = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, PF_UNIX));
  CHECK_OK(close(fd));
  // SOCK_RAW is a datagram socket.
  fd = CHECK_OK(socket(AF_UNIX, SOCK_RAW, 0));
  int type = 0;
  socklen_t len = sizeof type;
  CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
  CHECK_EQ(type, SOCK_DGRAM);
  CHECK_OK(close(fd));
  if (!EXPECTED_DIVERGENCE("no network stack: AF_INET and AF_NETLINK sockets are EAFNOSUPPORT")) {
    fd = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_OK(close(fd));
  } else {
    CHECK_ERR(socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT);
    CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT);
  }
  int sv[2];
  CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, (int*)1), EFAULT);
  CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv), EINVAL);
  // Flags: nonblocking and close-on-exec.
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  CHECK(fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
  char c;
  CHECK_ERR(read(sv[0], &c, 1), EAGAIN);
  struct stat st;
  CHECK_OK(fstat(sv[0], &st));
  CHECK(S_ISSOCK(st.st_mode));
  CHECK_ERR(lseek(sv[0], 0, SEEK_SET), ESPIPE);
  char link[64], want[64];
  snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
  snprintf(link, sizeof link, "/proc/self/fd/%d", sv[0]);
  char got[64] = {0};
  CHECK(readlink(link, got, sizeof got - 1) > 0);
  CHECK(strcmp(got, want) == 0);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
  // Not a socket.
  int p[2];
  CHECK_OK(pipe(p));
  CHECK_ERR(listen(p[0], 1), ENOTSOCK);
  CHECK_ERR(shutdown(p[0], SHUT_RD), ENOTSOCK);
  CHECK_ERR(send(p[1], "x", 1, 0), ENOTSOCK);
  CHECK_ERR(listen(9999, 1), EBADF);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
}

static void check_stream_path(void) {
  struct sockaddr_un a, b;
  socklen_t alen = path_addr(&a, "srv.sock");
  int srv = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  // Errors before a name: listen on an unbound socket, accept on a
  // non-listening one, bind with a bad length or family.
  CHECK_ERR(listen(srv, 4), EINVAL);
  CHECK_ERR(accept(srv, NULL, NULL), EINVAL);
  CHECK_ERR(bind(srv, (struct sockaddr*)&a, 1), EINVAL);
  CHECK_ERR(bind(srv, (struct sockaddr*)&a, sizeof a + 1), EINVAL);
  CHECK_ERR(bind(srv, (struct sockaddr*)&a, 200), EINVAL);
  CHECK_ERR(bind(srv, (struct sockaddr*)&a, -1), EINVAL);
  CHECK_ERR(bind(srv, (struct sockaddr*)1, alen), EFAULT);
  a.sun_family = AF_INET;
  CHECK_ERR(bind(srv, (struct sockaddr*)&a, alen), EINVAL);
  a.sun_family = AF_UNIX;
  // Connecting to nothing.
  int cli = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_ERR(connect(cli, (struct sockaddr*)&a, alen), ENOENT);
  CHECK_OK(bind(srv, (struct sockaddr*)&a, alen));
  struct stat st;
  CHECK_OK(stat("srv.sock", &st));
  CHECK(S_ISSOCK(st.st_mode));
  CHECK_EQ(st.st_mode & 0777, 0777 & ~022);
  // Bound: the name is taken, the socket cannot be bound again (and the
  // second name is not left behind).
  int other = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_ERR(bind(other, (struct sockaddr*)&a, alen), EADDRINUSE);
  socklen_t blen = path_addr(&b, "second.sock");
  CHECK_ERR(bind(srv, (struct sockaddr*)&b, blen), EINVAL);
  CHECK_ERR(access("second.sock", F_OK), ENOENT);
  // Not listening yet: refused. A regular file at the path: refused too.
  CHECK_ERR(connect(cli, (struct sockaddr*)&a, alen), ECONNREFUSED);
  write_file("plain", "x");
  socklen_t plen = path_addr(&b, "plain");
  CHECK_ERR(connect(cli, (struct sockaddr*)&b, plen), ECONNREFUSED);
  CHECK_OK(listen(srv, 4));
  int v = 0;
  socklen_t vlen = sizeof v;
  CHECK_OK(getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen));
  CHECK_EQ(v, 1);
  // Listening: no more connect on it, and a datagram socket is the wrong type.
  CHECK_ERR(connect(srv, (struct sockaddr*)&a, alen), EINVAL);
  int dg = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  CHECK_ERR(connect(dg, (struct sockaddr*)&a, alen), EPROTOTYPE);
  CHECK_ERR(listen(dg, 1), EOPNOTSUPP);
  CHECK_ERR(accept(dg, NULL, NULL), EOPNOTSUPP);
  CHECK_OK(close(dg));
  // No pending connection: EAGAIN without blocking.
  CHECK_ERR(accept4(srv, NULL, NULL, SOCK_NONBLOCK | 0x1), EINVAL);
  CHECK_OK(fcntl(srv, F_SETFL, O_NONBLOCK));
  CHECK_ERR(accept(srv, NULL, NULL), EAGAIN);
  CHECK_OK(fcntl(srv, F_SETFL, 0));
  // Connect (completes before accept) and accept with the peer's name.
  CHECK_OK(connect(cli, (struct sockaddr*)&a, alen));
  CHECK_ERR(connect(cli, (struct sockaddr*)&a, alen), EISCONN);
  struct pollfd pfd = {.fd = srv, .events = POLLIN};
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  struct sockaddr_un peer;
  socklen_t peerlen = sizeof peer;
  int conn = CHECK_OK(accept4(srv, (struct sockaddr*)&peer, &peerlen, SOCK_CLOEXEC));
  CHECK(fcntl(conn, F_GETFD) & FD_CLOEXEC);
  CHECK_EQ(peerlen, offsetof(struct sockaddr_un, sun_path));  // the client is unbound
  CHECK_EQ(peer.sun_family, AF_UNIX);
  // Names: the server's name on both ends of the server side.
  struct sockaddr_un name;
  socklen_t namelen = sizeof name;
  CHECK_OK(getsockname(conn, (struct sockaddr*)&name, &namelen));
  CHECK_EQ(namelen, alen);
  CHECK(strcmp(name.sun_path, "srv.sock") == 0);
  namelen = sizeof name;
  CHECK_OK(getpeername(cli, (struct sockaddr*)&name, &namelen));
  CHECK_EQ(namelen, alen);
  CHECK(strcmp(name.sun_path, "srv.sock") == 0);
  namelen = sizeof name;
  CHECK_OK(getsockname(cli, (struct sockaddr*)&name, &namelen));
  CHECK_EQ(namelen, offsetof(struct sockaddr_un, sun_path));
  // A short buffer gets a prefix and the full length.
  memset(&name, 0x55, sizeof name);
  namelen = 4;
  CHECK_OK(getsockname(conn, (struct sockaddr*)&name, &namelen));
  CHECK_EQ(namelen, alen);
  CHECK(name.sun_path[1] == 'r' && name.sun_path[2] == 0x55);
  namelen = (socklen_t)-1;
  CHECK_ERR(getsockname(conn, (struct sockaddr*)&name, &namelen), EINVAL);
  CHECK_ERR(getsockname(conn, (struct sockaddr*)&name, (socklen_t*)1), EFAULT);
  CHECK_ERR(getpeername(srv, (struct sockaddr*)&name, &namelen), ENOTCONN);
  // SO_PEERCRED: each side sees the other's process at connect/listen time.
  struct ucred cred;
  socklen_t credlen = sizeof cred;
  CHECK_OK(getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &credlen));
  CHECK_EQ(credlen, sizeof cred);
  CHECK_EQ(cred.pid, getpid());
  CHECK_EQ(cred.uid, getuid());
  credlen = sizeof cred;
  CHECK_OK(getsockopt(cli, SOL_SOCKET, SO_PEERCRED, &cred, &credlen));
  CHECK_EQ(cred.pid, getpid());
  // Data both ways.
  CHECK_EQ(write(cli, "hello", 5), 5);
  char buf[64];
  CHECK_EQ(read(conn, buf, sizeof buf), 5);
  CHECK(memcmp(buf, "hello", 5) == 0);
  CHECK_EQ(send(conn, "world", 5, 0), 5);
  CHECK_EQ(recv(cli, buf, sizeof buf, 0), 5);
  // A stream socket takes no destination.
  CHECK_ERR(sendto(cli, "x", 1, 0, (struct sockaddr*)&a, alen), EISCONN);
  CHECK_OK(close(cli));
  CHECK_OK(close(conn));
  CHECK_ERR(sendto(other, "x", 1, 0, (struct sockaddr*)&a, alen), EOPNOTSUPP);
  CHECK_ERR(send(other, "x", 1, 0), ENOTCONN);
  CHECK_ERR(recv(other, buf, 1, 0), EINVAL);
  CHECK_OK(close(other));
  // Closed listener: its name stays, and connecting is refused.
  CHECK_OK(close(srv));
  cli = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_ERR(connect(cli, (struct sockaddr*)&a, alen), ECONNREFUSED);
  CHECK_OK(close(cli));
  CHECK_OK(unlink("srv.sock"));
}

static void check_abstract_and_backlog(void) {
  struct sockaddr_un a;
  char name[32];
  snprintf(name, sizeof name, "keel-test-%d", getpid());
  socklen_t alen = abstract_addr(&a, name);
  int srv = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  CHECK_OK(bind(srv, (struct sockaddr*)&a, alen));
  int dup_srv = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  CHECK_ERR(bind(dup_srv, (struct sockaddr*)&a, alen), EADDRINUSE);
  CHECK_OK(close(dup_srv));
  struct sockaddr_un got;
  socklen_t glen = sizeof got;
  CHECK_OK(getsockname(srv, (struct sockaddr*)&got, &glen));
  CHECK_EQ(glen, alen);
  CHECK(got.sun_path[0] == 0 && memcmp(got.sun_path + 1, name, strlen(name)) == 0);
  // Backlog 0 takes one connection; the next nonblocking connect is EAGAIN.
  CHECK_OK(listen(srv, 0));
  int c1 = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0));
  CHECK_OK(connect(c1, (struct sockaddr*)&a, alen));
  int c2 = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0));
  CHECK_ERR(connect(c2, (struct sockaddr*)&a, alen), EAGAIN);
  // Seqpacket keeps message boundaries and reports truncation.
  CHECK_EQ(send(c1, "first", 5, 0), 5);
  CHECK_EQ(send(c1, "second", 6, 0), 6);
  int conn = CHECK_OK(accept(srv, NULL, NULL));
  CHECK_OK(connect(c2, (struct sockaddr*)&a, alen));
  char buf[16];
  CHECK_EQ(recv(conn, buf, sizeof buf, 0), 5);
  struct iovec iov = {buf, 3};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  CHECK_EQ(recvmsg(conn, &mh, 0), 3);
  CHECK(mh.msg_flags & MSG_TRUNC);
  CHECK(memcmp(buf, "sec", 3) == 0);
  CHECK_EQ(send(c1, "third", 5, 0), 5);
  CHECK_EQ(recv(conn, buf, 2, MSG_TRUNC), 5);
  // The peer's close: EOF for the reader, EPIPE for the writer.
  CHECK_OK(close(c1));
  CHECK_EQ(recv(conn, buf, sizeof buf, 0), 0);
  CHECK_ERR(send(conn, "x", 1, MSG_NOSIGNAL), EPIPE);
  CHECK_OK(close(conn));
  // Unconnected seqpacket: ENOTCONN both ways.
  int lone = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  CHECK_ERR(send(lone, "x", 1, 0), ENOTCONN);
  CHECK_ERR(recv(lone, buf, 1, 0), ENOTCONN);
  CHECK_OK(close(lone));
  CHECK_OK(close(c2));
  CHECK_OK(close(srv));
  // The name is free again once the socket is closed.
  srv = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_OK(bind(srv, (struct sockaddr*)&a, alen));
  CHECK_OK(close(srv));
  // Autobind: an address of only the family gets a fresh abstract name.
  srv = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  struct sockaddr_un fam = {.sun_family = AF_UNIX};
  CHECK_OK(bind(srv, (struct sockaddr*)&fam, sizeof(sa_family_t)));
  glen = sizeof got;
  CHECK_OK(getsockname(srv, (struct sockaddr*)&got, &glen));
  CHECK_EQ(glen, offsetof(struct sockaddr_un, sun_path) + 6);
  CHECK(got.sun_path[0] == 0);
  CHECK_OK(close(srv));
}

static void check_stream_data(void) {
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  char buf[64];
  // Bytes from several sends read as one stream; MSG_PEEK leaves them.
  CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
  CHECK_EQ(send(sv[0], "def", 3, 0), 3);
  int n = 0;
  CHECK_OK(ioctl(sv[1], FIONREAD, &n));
  CHECK_EQ(n, 6);
  CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 6);
  CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
  CHECK(memcmp(buf, "ab", 2) == 0);
  CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 4);
  CHECK(memcmp(buf, "cdef", 4) == 0);
  CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  // MSG_WAITALL waits for the whole buffer, filled by a child.
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    for (int i = 0; i < 4; ++i) {
      usleep(5000);
      if (send(sv[0], "wxyz", 4, 0) != 4) _exit(1);
    }
    _exit(0);
  }
  CHECK_EQ(recv(sv[1], buf, 16, MSG_WAITALL), 16);
  CHECK(memcmp(buf, "wxyzwxyzwxyzwxyz", 16) == 0);
  int status;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Errors of the buffers.
  CHECK_ERR(send(sv[0], (void*)1, 4, 0), EFAULT);
  CHECK_EQ(send(sv[0], "q", 1, 0), 1);
  CHECK_ERR(recv(sv[1], (void*)1, 4, 0), EFAULT);
  CHECK_EQ(recv(sv[1], buf, 4, 0), 1);  // the byte is still there
  // shutdown(SHUT_WR): the peer reads EOF; our sends fail with EPIPE and
  // SIGPIPE unless MSG_NOSIGNAL.
  CHECK_ERR(shutdown(sv[0], 3), EINVAL);
  CHECK_ERR(shutdown(sv[0], -1), EINVAL);
  CHECK_OK(shutdown(sv[0], SHUT_WR));
  struct pollfd pfd = {.fd = sv[1], .events = POLLIN | POLLRDHUP};
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  CHECK(pfd.revents & POLLRDHUP);
  CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0);
  signal(SIGPIPE, on_sigpipe);
  g_sigpipes = 0;
  CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
  CHECK_EQ(g_sigpipes, 1);
  CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
  CHECK_EQ(g_sigpipes, 1);
  // The other direction still works.
  CHECK_EQ(send(sv[1], "back", 4, 0), 4);
  CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 4);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
  // Closing with unread data resets the peer once; then EOF.
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  CHECK_EQ(send(sv[0], "unread", 6, 0), 6);
  CHECK_OK(close(sv[1]));
  pfd = (struct pollfd){.fd = sv[0], .events = POLLIN | POLLOUT};
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  CHECK(pfd.revents & POLLHUP);
  CHECK(pfd.revents & POLLERR);
  CHECK_ERR(recv(sv[0], buf, sizeof buf, 0), ECONNRESET);
  CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 0);
  CHECK_ERR(write(sv[0], "x", 1), EPIPE);
  CHECK_EQ(g_sigpipes, 2);
  signal(SIGPIPE, SIG_DFL);
  CHECK_OK(close(sv[0]));
  // A full send buffer: nonblocking sends stop with EAGAIN, and poll says
  // writable again once the reader drained it.
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
  static char big[65536];
  long total = 0;
  for (;;) {
    ssize_t w = send(sv[0], big, sizeof big, 0);
    if (w < 0) {
      CHECK_EQ(errno, EAGAIN);
      break;
    }
    total += w;
    CHECK(total < (64L << 20));
  }
  CHECK(total >= 65536);
  pfd = (struct pollfd){.fd = sv[0], .events = POLLOUT};
  CHECK_EQ(poll(&pfd, 1, 0), 0);
  long drained = 0;
  while (drained < total) {
    ssize_t r = recv(sv[1], big, sizeof big, 0);
    CHECK(r > 0);
    drained += r;
  }
  CHECK_EQ(poll(&pfd, 1, 0), 1);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
}

static void check_dgram(void) {
  struct sockaddr_un a, b;
  socklen_t alen = path_addr(&a, "dg_a");
  socklen_t blen = path_addr(&b, "dg_b");
  int sa = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  int sb = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  CHECK_OK(bind(sa, (struct sockaddr*)&a, alen));
  char buf[64];
  // Unconnected without a destination; a destination that does not exist.
  CHECK_ERR(send(sb, "x", 1, 0), ENOTCONN);
  CHECK_ERR(sendto(sb, "x", 1, 0, (struct sockaddr*)&b, blen), ENOENT);
  // From an unbound sender: no address comes with the datagram.
  CHECK_EQ(sendto(sb, "one", 3, 0, (struct sockaddr*)&a, alen), 3);
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  CHECK_EQ(recvfrom(sa, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen), 3);
  CHECK_EQ(flen, 0);
  // From a bound sender: its name.
  CHECK_OK(bind(sb, (struct sockaddr*)&b, blen));
  CHECK_EQ(sendto(sb, "two!", 4, 0, (struct sockaddr*)&a, alen), 4);
  flen = sizeof from;
  int n = 0;
  CHECK_OK(ioctl(sa, FIONREAD, &n));
  CHECK_EQ(n, 4);
  CHECK_EQ(recvfrom(sa, buf, 2, MSG_PEEK, (struct sockaddr*)&from, &flen), 2);
  CHECK_EQ(flen, blen);
  CHECK(strcmp(from.sun_path, "dg_b") == 0);
  // Truncation: the rest of the datagram is gone; MSG_TRUNC gives its size.
  CHECK_EQ(recv(sa, buf, 2, MSG_TRUNC), 4);
  CHECK_ERR(recv(sa, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  // Zero-length datagrams are datagrams.
  CHECK_EQ(sendto(sb, "", 0, 0, (struct sockaddr*)&a, alen), 0);
  CHECK_EQ(recv(sa, buf, sizeof buf, MSG_DONTWAIT), 0);
  CHECK_ERR(recv(sa, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  // Too big for the send buffer.
  static char huge[300000];
  CHECK_ERR(sendto(sb, huge, sizeof huge, 0, (struct sockaddr*)&a, alen), EMSGSIZE);
  // A connected receiver takes datagrams only from its peer.
  int sc = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  CHECK_OK(connect(sa, (struct sockaddr*)&b, blen));
  CHECK_ERR(sendto(sc, "x", 1, 0, (struct sockaddr*)&a, alen), EPERM);
  CHECK_ERR(connect(sc, (struct sockaddr*)&a, alen), EPERM);
  CHECK_EQ(send(sa, "to b", 4, 0), 4);
  CHECK_EQ(recv(sb, buf, sizeof buf, 0), 4);
  // AF_UNSPEC disconnects.
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  CHECK_OK(connect(sa, &unspec, sizeof unspec));
  CHECK_ERR(send(sa, "x", 1, 0), ENOTCONN);
  CHECK_EQ(sendto(sc, "ok", 2, 0, (struct sockaddr*)&a, alen), 2);
  CHECK_EQ(recv(sa, buf, sizeof buf, 0), 2);
  // The receiver's queue holds a bounded number of datagrams.
  CHECK_OK(fcntl(sc, F_SETFL, O_NONBLOCK));
  int sent = 0;
  while (sendto(sc, "q", 1, 0, (struct sockaddr*)&a, alen) == 1) ++sent;
  CHECK_EQ(errno, EAGAIN);
  CHECK(sent >= 10 && sent < 1000);
  // A closed receiver: the name stays, sending is refused.
  CHECK_OK(close(sa));
  CHECK_ERR(sendto(sc, "x", 1, 0, (struct sockaddr*)&a, alen), ECONNREFUSED);
  // A connected sender whose peer went away: ECONNREFUSED, then unconnected.
  CHECK_OK(connect(sc, (struct sockaddr*)&b, blen));
  CHECK_OK(close(sb));
  CHECK_ERR(send(sc, "x", 1, 0), ECONNREFUSED);
  CHECK_ERR(send(sc, "x", 1, 0), ENOTCONN);
  CHECK_OK(close(sc));
  // A datagram socketpair; shutdown(SHUT_WR) stops our sends (EPIPE, no signal).
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  CHECK_EQ(send(sv[0], "p", 1, 0), 1);
  CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 1);
  CHECK_OK(shutdown(sv[0], SHUT_WR));
  CHECK_ERR(send(sv[0], "p", 1, 0), EPIPE);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
  CHECK_OK(unlink("dg_a"));
  CHECK_OK(unlink("dg_b"));
}

static int recv_fd(int sock, char* byte, int flags, int* msg_flags, size_t ctl_size) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * 4)];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {byte, 1};
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = ctl_size};
  if (recvmsg(sock, &mh, flags) != 1) return -2;
  *msg_flags = mh.msg_flags;
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  if (c == NULL) return -1;
  CHECK_EQ(c->cmsg_level, SOL_SOCKET);
  CHECK_EQ(c->cmsg_type, SCM_RIGHTS);
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static ssize_t send_fds(int sock, const int* fds, int count, const char* byte) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * 256)];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {(void*)byte, 1};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = u.buf,
                      .msg_controllen = CMSG_SPACE(sizeof(int) * count)};
  struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * count);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
  return sendmsg(sock, &mh, 0);
}

static int bind_retry(int fd, const struct sockaddr_un* a, socklen_t len) {
  for (int i = 0; i < 400; ++i) {
    if (bind(fd, (const struct sockaddr*)a, len) == 0) return 0;
    if (errno != EADDRINUSE) return -1;
    // Newer Linux runs its collector from sendmsg with SCM_RIGHTS: pass a
    // descriptor through a fresh pair to give it the chance.
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
      union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
      } u;
      memset(&u, 0, sizeof u);
      struct iovec iov = {"g", 1};
      struct msghdr mh = {
          .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
      struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
      sendmsg(sv[0], &mh, 0);
      close(sv[0]);
      close(sv[1]);
    }
    usleep(5000);
  }
  return -1;
}

static void check_scm_rights(void) {
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  int p[2];
  CHECK_OK(pipe(p));
  // Pass the pipe's write end; write through the received copy.
  CHECK_EQ(send_fds(sv[0], &p[1], 1, "A"), 1);
  char byte = 0;
  int mflags = 0;
  int got = recv_fd(sv[1], &byte, MSG_CMSG_CLOEXEC, &mflags, CMSG_SPACE(sizeof(int)));
  CHECK(got >= 0 && got != p[1]);
  CHECK_EQ(byte, 'A');
  CHECK(fcntl(got, F_GETFD) & FD_CLOEXEC);
  CHECK_EQ(write(got, "z", 1), 1);
  char c;
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EQ(c, 'z');
  CHECK_OK(close(got));
  // A descriptor passed in a stream ends the read at its message.
  CHECK_EQ(send(sv[0], "B", 1, 0), 1);
  CHECK_EQ(send_fds(sv[0], &p[0], 1, "C"), 1);
  CHECK_EQ(send(sv[0], "D", 1, 0), 1);
  char two[4] = {0};
  struct iovec iov = {two, 3};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  CHECK_EQ(recvmsg(sv[1], &mh, 0), 2);
  CHECK(memcmp(two, "BC", 2) == 0);
  CHECK(CMSG_FIRSTHDR(&mh) != NULL);
  memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof got);
  CHECK_OK(close(got));
  CHECK_EQ(recv(sv[1], &c, 1, 0), 1);
  CHECK_EQ(c, 'D');
  // No room for the descriptor: MSG_CTRUNC, and it is closed.
  CHECK_EQ(send_fds(sv[0], &p[0], 1, "E"), 1);
  CHECK_EQ(recv_fd(sv[1], &byte, 0, &mflags, 0), -1);
  CHECK(mflags & MSG_CTRUNC);
  // Two descriptors, room for one.
  int both[2] = {p[0], p[1]};
  CHECK_EQ(send_fds(sv[0], both, 2, "F"), 1);
  got = recv_fd(sv[1], &byte, 0, &mflags, CMSG_LEN(sizeof(int)));
  CHECK(got >= 0);
  CHECK(mflags & MSG_CTRUNC);
  CHECK_OK(close(got));
  // Errors: a bad descriptor, too many descriptors, a bad cmsg length, an
  // unknown SOL_SOCKET type.
  int bad = 9999;
  CHECK_ERR(send_fds(sv[0], &bad, 1, "G"), EBADF);
  int many[254];
  for (int i = 0; i < 254; ++i) many[i] = p[0];
  CHECK_ERR(send_fds(sv[0], many, 254, "H"), EINVAL);
  CHECK_EQ(send_fds(sv[0], many, 253, "H"), 1);
  CHECK_EQ(recv_fd(sv[1], &byte, 0, &mflags, 0), -1);  // all 253 dropped
  CHECK(mflags & MSG_CTRUNC);
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } v;
  memset(&v, 0, sizeof v);
  struct iovec one = {"I", 1};
  struct msghdr bad_mh = {
      .msg_iov = &one, .msg_iovlen = 1, .msg_control = v.buf, .msg_controllen = sizeof v.buf};
  struct cmsghdr* cm = CMSG_FIRSTHDR(&bad_mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = sizeof v.buf + 8;
  CHECK_ERR(sendmsg(sv[0], &bad_mh, 0), EINVAL);
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  cm->cmsg_type = 77;
  CHECK_ERR(sendmsg(sv[0], &bad_mh, 0), EINVAL);
  // Another level is ignored.
  cm->cmsg_level = 77;
  CHECK_EQ(sendmsg(sv[0], &bad_mh, 0), 1);
  CHECK_EQ(recv(sv[1], &c, 1, 0), 1);
  bad_mh.msg_control = (void*)1;
  CHECK_ERR(sendmsg(sv[0], &bad_mh, 0), EFAULT);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
  // Sockets only their own queues refer to are collected once closed: a
  // datagram socket holding itself, and a pair holding each other (their
  // abstract names are free again afterwards; newer Linux collects in the
  // background, so the second round waits for the names a little).
  struct sockaddr_un a, b;
  char name[48];
  snprintf(name, sizeof name, "gc-self-%d", getpid());
  socklen_t alen = abstract_addr(&a, name);
  snprintf(name, sizeof name, "gc-pair-%d", getpid());
  socklen_t blen = abstract_addr(&b, name);
  for (int round = 0; round < 2; ++round) {
    int self = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    CHECK_OK(bind_retry(self, &a, alen));
    CHECK_OK(connect(self, (struct sockaddr*)&a, alen));
    CHECK_EQ(send_fds(self, &self, 1, "K"), 1);
    CHECK_OK(close(self));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_OK(bind_retry(sv[0], &b, blen));
    CHECK_EQ(send_fds(sv[0], &sv[0], 1, "L"), 1);
    CHECK_EQ(send_fds(sv[1], &sv[1], 1, "M"), 1);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
  }
}

static void check_scm_credentials(void) {
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  int on = 1;
  CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  int v = 0;
  socklen_t vlen = sizeof v;
  CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &vlen));
  CHECK_EQ(v, 1);
  // Without SCM_CREDENTIALS: the sender's own.
  CHECK_EQ(send(sv[0], "k", 1, 0), 1);
  char c;
  struct iovec iov = {&c, 1};
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  CHECK_EQ(recvmsg(sv[1], &mh, 0), 1);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  CHECK(cm != NULL);
  CHECK_EQ(cm->cmsg_type, SCM_CREDENTIALS);
  CHECK_EQ(cm->cmsg_len, CMSG_LEN(sizeof(struct ucred)));
  struct ucred cr;
  memcpy(&cr, CMSG_DATA(cm), sizeof cr);
  CHECK_EQ(cr.pid, getpid());
  CHECK_EQ(cr.uid, getuid());
  CHECK_EQ(cr.gid, getgid());
  // Explicit credentials: ours are fine; another pid needs CAP_SYS_ADMIN.
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } s;
  memset(&s, 0, sizeof s);
  struct iovec siov = {"m", 1};
  struct msghdr smh = {
      .msg_iov = &siov, .msg_iovlen = 1, .msg_control = s.buf, .msg_controllen = sizeof s.buf};
  struct cmsghdr* sc = CMSG_FIRSTHDR(&smh);
  sc->cmsg_level = SOL_SOCKET;
  sc->cmsg_type = SCM_CREDENTIALS;
  sc->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred mine = {getpid(), getuid(), getgid()};
  memcpy(CMSG_DATA(sc), &mine, sizeof mine);
  CHECK_EQ(sendmsg(sv[0], &smh, 0), 1);
  mh.msg_controllen = sizeof u.buf;
  CHECK_EQ(recvmsg(sv[1], &mh, 0), 1);
  sc->cmsg_len = CMSG_LEN(sizeof(struct ucred)) - 1;
  CHECK_ERR(sendmsg(sv[0], &smh, 0), EINVAL);
  sc->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  if (getuid() != 0) {
    struct ucred other = {1, getuid(), getgid()};
    memcpy(CMSG_DATA(sc), &other, sizeof other);
    CHECK_ERR(sendmsg(sv[0], &smh, 0), EPERM);
  }
  // A control buffer too small for the credentials: MSG_CTRUNC.
  CHECK_EQ(send(sv[0], "n", 1, 0), 1);
  mh.msg_controllen = sizeof(struct cmsghdr) + 4;
  CHECK_EQ(recvmsg(sv[1], &mh, 0), 1);
  CHECK(mh.msg_flags & MSG_CTRUNC);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
}

static void check_mmsg_and_options(void) {
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  struct mmsghdr out[3];
  struct iovec oiov[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
  memset(out, 0, sizeof out);
  for (int i = 0; i < 3; ++i) {
    out[i].msg_hdr.msg_iov = &oiov[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  CHECK_EQ(sendmmsg(sv[0], out, 3, 0), 3);
  CHECK_EQ(out[2].msg_len, 3);
  struct mmsghdr in[4];
  char bufs[4][8];
  struct iovec iiov[4];
  memset(in, 0, sizeof in);
  for (int i = 0; i < 4; ++i) {
    iiov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
    in[i].msg_hdr.msg_iov = &iiov[i];
    in[i].msg_hdr.msg_iovlen = 1;
  }
  CHECK_EQ(recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL), 3);
  CHECK_EQ(in[0].msg_len, 1);
  CHECK_EQ(in[1].msg_len, 2);
  CHECK(memcmp(bufs[2], "ccc", 3) == 0);
  CHECK_ERR(recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL), EAGAIN);
  CHECK_ERR(sendmmsg(sv[0], (struct mmsghdr*)1, 1, 0), EFAULT);
  // Options: read-only ones, unknown ones, another level, short lengths.
  int v = 0;
  socklen_t vlen = sizeof v;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &vlen));
  CHECK_EQ(v, AF_UNIX);
  vlen = sizeof v;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &vlen));
  CHECK_EQ(v, 0);
  vlen = sizeof v;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &vlen));
  CHECK_EQ(v, 0);
  CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT);
  CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
  vlen = sizeof v;
  CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &vlen), ENOPROTOOPT);
  CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
  CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, -1), EINVAL);
  CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, (void*)1, sizeof v), EFAULT);
  CHECK_ERR(setsockopt(sv[0], 6 /* SOL_TCP */, 1, &v, sizeof v), EOPNOTSUPP);
  vlen = sizeof v;
  CHECK_ERR(getsockopt(sv[0], 6, 1, &v, &vlen), EOPNOTSUPP);
  vlen = (socklen_t)-1;
  CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vlen), EINVAL);
  CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t*)1), EFAULT);
  // A short length gets a prefix.
  v = -1;
  vlen = 1;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vlen));
  CHECK_EQ(vlen, 1);
  CHECK_EQ(v & 0xff, SOCK_DGRAM);
  // Settable ones read back: SO_REUSEADDR, SO_SNDBUF (doubled, with a floor).
  int one = 1;
  CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  vlen = sizeof v;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, &vlen));
  CHECK_EQ(v, 1);
  int sz = 10000;
  CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz));
  vlen = sizeof v;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &vlen));
  CHECK_EQ(v, 20000);
  sz = 1;
  CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz));
  vlen = sizeof v;
  CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &vlen));
  CHECK_EQ(v, 4608);
  // SO_RCVTIMEO: a blocking receive gives up with EAGAIN.
  struct timeval tv = {0, 20000};
  CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  struct timeval back;
  vlen = sizeof back;
  CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &back, &vlen));
  CHECK_EQ(back.tv_usec, 20000);
  char c;
  CHECK_ERR(recv(sv[1], &c, 1, 0), EAGAIN);
  tv.tv_usec = 1000000;
  CHECK_ERR(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
  CHECK_ERR(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
}

// epoll on sockets: a listener is readable with a pending connection; a
// connection is writable, readable with data (level- and edge-triggered),
// EPOLLRDHUP after the peer's SHUT_WR, EPOLLHUP when the peer is gone; a
// datagram socket is readable with a message.
static void check_epoll(void) {
  int ep = CHECK_OK(epoll_create1(0));
  struct sockaddr_un a;
  char name[48];
  snprintf(name, sizeof name, "epoll-%d", getpid());
  socklen_t alen = abstract_addr(&a, name);
  int srv = CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
  CHECK_OK(bind(srv, (struct sockaddr*)&a, alen));
  CHECK_OK(listen(srv, 4));
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev));
  struct epoll_event got[4];
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 0);
  int cli = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_OK(connect(cli, (struct sockaddr*)&a, alen));
  CHECK_EQ(epoll_wait(ep, got, 4, 1000), 1);
  CHECK_EQ(got[0].data.u32, 1);
  int conn = CHECK_OK(accept(srv, NULL, NULL));
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 0);
  // The connection: writable at once, readable once data came (edge-triggered:
  // reported once per arrival).
  ev = (struct epoll_event){.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = 2};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev));
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 1);
  CHECK_EQ(got[0].events, EPOLLOUT);
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 0);
  CHECK_EQ(write(cli, "ping", 4), 4);
  CHECK_EQ(epoll_wait(ep, got, 4, 1000), 1);
  CHECK(got[0].events & EPOLLIN);
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 0);
  char buf[8];
  CHECK_EQ(read(conn, buf, sizeof buf), 4);
  // The peer's SHUT_WR: EPOLLIN and EPOLLRDHUP; its close: EPOLLHUP too.
  CHECK_OK(shutdown(cli, SHUT_WR));
  CHECK_EQ(epoll_wait(ep, got, 4, 1000), 1);
  CHECK(got[0].events & EPOLLRDHUP);
  CHECK(got[0].events & EPOLLIN);
  CHECK_OK(close(cli));
  CHECK_EQ(epoll_wait(ep, got, 4, 1000), 1);
  CHECK(got[0].events & EPOLLHUP);
  CHECK_OK(close(conn));
  // A datagram socket: level-triggered readable while a message waits.
  int sv[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 3};
  CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 0);
  CHECK_EQ(send(sv[0], "d", 1, 0), 1);
  CHECK_EQ(epoll_wait(ep, got, 4, 1000), 1);
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 1);  // still there
  CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 1);
  CHECK_EQ(epoll_wait(ep, got, 4, 0), 0);
  CHECK_OK(close(sv[0]));
  CHECK_OK(close(sv[1]));
  CHECK_OK(close(srv));
  CHECK_OK(close(ep));
}

// Several processes at once through one listening socket: each child
// connects and runs request/response rounds; the parent serves with poll.
static void check_concurrent(void) {
  enum { kChildren = 4, kRounds = 200 };
  struct sockaddr_un a;
  socklen_t alen = path_addr(&a, "conc.sock");
  int srv = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
  CHECK_OK(bind(srv, (struct sockaddr*)&a, alen));
  CHECK_OK(listen(srv, kChildren));
  pid_t pids[kChildren];
  for (int i = 0; i < kChildren; ++i) {
    pids[i] = CHECK_OK(fork());
    if (pids[i] == 0) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (s < 0 || connect(s, (struct sockaddr*)&a, alen) != 0) _exit(2);
      for (int r = 0; r < kRounds; ++r) {
        unsigned char q[2] = {(unsigned char)i, (unsigned char)r};
        unsigned char ans[2];
        if (write(s, q, 2) != 2) _exit(3);
        if (recv(s, ans, 2, MSG_WAITALL) != 2) _exit(4);
        if (ans[0] != (unsigned char)(q[0] + 1) || ans[1] != q[1]) _exit(5);
      }
      _exit(0);
    }
  }
  struct pollfd fds[kChildren + 1];
  int nconn = 0;
  int open_conns = 0;
  fds[0] = (struct pollfd){.fd = srv, .events = POLLIN};
  while (nconn < kChildren || open_conns > 0) {
    CHECK(poll(fds, (nfds_t)(nconn + 1), 10000) > 0);
    if (fds[0].revents & POLLIN) {
      int c = CHECK_OK(accept(srv, NULL, NULL));
      fds[1 + nconn++] = (struct pollfd){.fd = c, .events = POLLIN};
      ++open_conns;
    }
    for (int i = 1; i <= nconn; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      unsigned char q[2];
      ssize_t r = recv(fds[i].fd, q, 2, MSG_WAITALL);
      if (r == 0) {
        CHECK_OK(close(fds[i].fd));
        fds[i].fd = -1;
        --open_conns;
        continue;
      }
      CHECK_EQ(r, 2);
      q[0]++;
      CHECK_EQ(write(fds[i].fd, q, 2), 2);
    }
  }
  for (int i = 0; i < kChildren; ++i) {
    int status;
    CHECK_EQ(waitpid(pids[i], &status, 0), pids[i]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  CHECK_OK(close(srv));
  CHECK_OK(unlink("conc.sock"));
}

int main(void) {
  enter_tmpdir();
  check_socket_args();
  check_stream_path();
  check_abstract_and_backlog();
  check_stream_data();
  check_dgram();
  check_scm_rights();
  check_scm_credentials();
  check_mmsg_and_options();
  check_epoll();
  check_concurrent();
  printf("unix_socket: ok\n");
  return 0;
}
