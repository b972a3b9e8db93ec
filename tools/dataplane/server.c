#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)

struct server {
  dp_state_t *st;
  int epfd, lfd, sfd;
  conn_t *conns;      /* live and pending connections */
  conn_t *graveyard;  /* closed, freed at the end of the loop iteration (linked by next) */
  size_t npending;
  int stop;
};

static char listen_tag, signal_tag; /* epoll data for the two special descriptors */

dp_state_t *server_state(server_t *srv) { return srv->st; }
size_t server_pending(server_t *srv) { return srv->npending; }

static void set_events(server_t *srv, conn_t *c) {
  if (c->fd < 0) return;
  struct epoll_event ev = {0};
  ev.data.ptr = c;
  if (!c->pending) ev.events = EPOLLIN;
  if (c->out.len > c->out_off) ev.events |= EPOLLOUT;
  epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void unlink_conn(server_t *srv, conn_t *c) {
  if (c->prev) c->prev->next = c->next;
  else srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

static void free_conn(conn_t *c) {
  free(c->in);
  obuf_free(&c->out);
  gw_scratch_free(&c->scratch);
  free(c);
}

/* Closes the socket; the memory goes once no timer refers to it. */
static void conn_close(server_t *srv, conn_t *c) {
  if (c->dead) return;
  if (c->fd >= 0) {
    epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
  }
  if (!c->pending) {
    c->dead = 1;
    unlink_conn(srv, c);
    c->next = srv->graveyard;
    srv->graveyard = c;
  }
}

void conn_drop(server_t *srv, conn_t *c) { conn_close(srv, c); }

/* Writes what is buffered; closes when asked to after the answer. */
static void flush_out(server_t *srv, conn_t *c) {
  while (c->fd >= 0 && c->out_off < c->out.len) {
    ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (w > 0) {
      c->out_off += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    conn_close(srv, c); /* peer gone */
    return;
  }
  if (c->fd < 0) return;
  if (c->out_off == c->out.len) {
    c->out.len = c->out_off = 0;
    if (c->out.cap > (8u << 20)) obuf_free(&c->out); /* do not keep a big /_events answer */
    if (c->close_after_write) {
      conn_close(srv, c);
      return;
    }
  }
  set_events(srv, c);
}

void conn_respond(server_t *srv, conn_t *c, int status, const char *content_type,
                  const char *body, size_t body_len, const char *extra_headers) {
  if (c->fd < 0) return;
  if (!c->req.keep_alive) c->close_after_write = 1;
  obuf_printf(&c->out,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", status,
              http_reason(status), content_type, body_len, extra_headers ? extra_headers : "",
              c->close_after_write ? "Connection: close\r\n" : "");
  obuf_put(&c->out, body, body_len);
  if (c->out.oom) {
    c->out.len = c->out_off = 0;
    obuf_free(&c->out);
    conn_close(srv, c);
    return;
  }
  flush_out(srv, c);
}

/* An answer to a request that cannot be read further: the connection closes after it. */
static void respond_and_close(server_t *srv, conn_t *c, int status, const char *msg) {
  c->close_after_write = 1;
  conn_respond(srv, c, status, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
}

void conn_start_delay(server_t *srv, conn_t *c, long delay_ms) {
  c->pending = 1;
  c->deadline_ms = dp_now_ms() + (uint64_t)delay_ms;
  srv->npending++;
  set_events(srv, c);
}

static int reserve_in(conn_t *c, size_t need) {
  if (c->in_cap >= need) return 0;
  size_t cap = c->in_cap ? c->in_cap : 64 * 1024;
  while (cap < need) cap *= 2;
  char *p = realloc(c->in, cap);
  if (!p) return -1;
  c->in = p;
  c->in_cap = cap;
  return 0;
}

/* Drops the answered request from the input, keeping what a pipelining client sent after it. */
static void consume_request(conn_t *c) {
  size_t total = c->req_total;
  if (total > c->in_len) total = c->in_len;
  memmove(c->in, c->in + total, c->in_len - total);
  c->in_len -= total;
  c->head_parsed = 0;
  c->sent_continue = 0;
  c->req_total = 0;
  if (c->in_cap > (4u << 20) && c->in_len < (64u << 10)) { /* give a big body buffer back */
    char *p = malloc(64 * 1024);
    if (p) {
      memcpy(p, c->in, c->in_len);
      free(c->in);
      c->in = p;
      c->in_cap = 64 * 1024;
    }
  }
}

static void send_continue(server_t *srv, conn_t *c) {
  if (c->sent_continue || !c->req.expect.len ||
      !http_span_eq(c->in, c->req.expect, "100-continue", 1))
    return;
  c->sent_continue = 1;
  obuf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
  flush_out(srv, c);
}

/* Answers every complete request in the input, in order. */
static void process_input(server_t *srv, conn_t *c) {
  while (c->fd >= 0 && !c->pending && !c->close_after_write) {
    if (!c->head_parsed) {
      if (c->in_len == 0) return;
      int rc = http_parse_head(c->in, c->in_len, &c->req);
      if (rc == HTTP_NEED_MORE) return;
      if (rc != HTTP_DONE) {
        c->req.keep_alive = 0;
        if (rc == HTTP_HEADER_TOO_BIG)
          respond_and_close(srv, c, 431, "request header too large\n");
        else if (rc == HTTP_BODY_TOO_BIG)
          respond_and_close(srv, c, 413, "request body too large\n");
        else
          respond_and_close(srv, c, 400, "malformed HTTP request\n");
        return;
      }
      c->head_parsed = 1;
      if (c->req.content_length > 0 &&
          reserve_in(c, c->req.header_len + (size_t)c->req.content_length + 1)) {
        respond_and_close(srv, c, 413, "request body too large\n");
        return;
      }
    }
    size_t hl = c->req.header_len;
    if (c->req.chunked) {
      size_t decoded = 0, consumed = 0;
      int rc = http_dechunk(c->in + hl, c->in_len - hl, HTTP_MAX_BODY, &decoded, &consumed);
      if (rc == HTTP_NEED_MORE) {
        send_continue(srv, c);
        return;
      }
      if (rc != HTTP_DONE) {
        c->req.keep_alive = 0;
        respond_and_close(srv, c, rc == HTTP_BODY_TOO_BIG ? 413 : 400,
                          rc == HTTP_BODY_TOO_BIG ? "request body too large\n"
                                                  : "malformed chunked body\n");
        return;
      }
      c->body_off = hl;
      c->body_len = decoded;
      c->req_total = hl + consumed;
    } else {
      size_t cl = c->req.content_length > 0 ? (size_t)c->req.content_length : 0;
      if (c->in_len - hl < cl) {
        send_continue(srv, c);
        return;
      }
      c->body_off = hl;
      c->body_len = cl;
      c->req_total = hl + cl;
    }
    route_request(srv, c);
    if (c->fd < 0 || c->pending) return;
    consume_request(c);
  }
}

static void on_readable(server_t *srv, conn_t *c) {
  for (int rounds = 0; rounds < 64 && c->fd >= 0; rounds++) {
    if (reserve_in(c, c->in_len + READ_CHUNK)) {
      conn_close(srv, c);
      return;
    }
    if (c->in_len > HTTP_MAX_HEADER + HTTP_MAX_BODY + READ_CHUNK) { /* runaway pipelining */
      conn_close(srv, c);
      return;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (r > 0) {
      c->in_len += (size_t)r;
      if ((size_t)r < c->in_cap - c->in_len + (size_t)r) break; /* drained for now */
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* EOF or error: answer nothing more */
    process_input(srv, c);
    if (c->fd >= 0 && !c->pending && c->out_off == c->out.len) conn_close(srv, c);
    else if (c->fd >= 0 && !c->pending) c->close_after_write = 1;
    return;
  }
  process_input(srv, c);
}

static void on_accept(server_t *srv) {
  for (;;) {
    int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or a transient error: try again on the next wakeup */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->next = srv->conns;
    if (srv->conns) srv->conns->prev = c;
    srv->conns = c;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev)) {
      conn_close(srv, c);
      continue;
    }
    srv->st->connections_total++;
  }
}

static void fire_timers(server_t *srv) {
  if (!srv->npending) return;
  uint64_t now = dp_now_ms();
  conn_t *c = srv->conns, *next;
  for (; c; c = next) {
    next = c->next;
    if (!c->pending || c->deadline_ms > now) continue;
    c->pending = 0;
    srv->npending--;
    route_finish_delayed(srv, c);
    if (c->fd < 0) {
      /* closed while waiting or dropped now */
      conn_close(srv, c);
      continue;
    }
    consume_request(c);
    set_events(srv, c);
    process_input(srv, c); /* requests pipelined behind the delayed one */
  }
}

static int next_timeout(server_t *srv) {
  if (!srv->npending) return -1;
  uint64_t now = dp_now_ms(), soonest = UINT64_MAX;
  for (conn_t *c = srv->conns; c; c = c->next)
    if (c->pending && c->deadline_ms < soonest) soonest = c->deadline_ms;
  if (soonest <= now) return 0;
  uint64_t d = soonest - now;
  return d > 60000 ? 60000 : (int)d;
}

static int open_listener(const dp_config_t *cfg, int *port_out) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char port[16];
  snprintf(port, sizeof port, "%d", cfg->port);
  int gai = getaddrinfo(cfg->host, port, &hints, &res);
  if (gai) {
    fprintf(stderr, "rudder-dataplane: --host %s: %s\n", cfg->host, gai_strerror(gai));
    return -1;
  }
  int fd = -1, err = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { err = errno; continue; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) break;
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    fprintf(stderr, "rudder-dataplane: cannot listen on %s:%d: %s\n", cfg->host, cfg->port,
            strerror(err));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

int server_run(dp_state_t *st) {
  server_t srv = {.st = st, .epfd = -1, .lfd = -1, .sfd = -1};
  int port = 0, status = 1;

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);

  srv.lfd = open_listener(&st->cfg, &port);
  if (srv.lfd < 0) goto out;
  srv.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  srv.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (srv.sfd < 0 || srv.epfd < 0) {
    perror("rudder-dataplane: epoll/signalfd");
    goto out;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_tag};
  epoll_ctl(srv.epfd, EPOLL_CTL_ADD, srv.lfd, &ev);
  ev.data.ptr = &signal_tag;
  epoll_ctl(srv.epfd, EPOLL_CTL_ADD, srv.sfd, &ev);

  const char *h = st->cfg.host;
  printf(strchr(h, ':') ? "listening http://[%s]:%d\n" : "listening http://%s:%d\n", h, port);
  fflush(stdout);

  struct epoll_event events[256];
  while (!srv.stop) {
    int n = epoll_wait(srv.epfd, events, 256, next_timeout(&srv));
    if (n < 0 && errno != EINTR) {
      perror("rudder-dataplane: epoll_wait");
      goto out;
    }
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &listen_tag) {
        on_accept(&srv);
      } else if (tag == &signal_tag) {
        srv.stop = 1;
      } else {
        conn_t *c = tag;
        if (c->fd < 0) continue; /* closed earlier in this batch */
        if (events[i].events & (EPOLLERR | EPOLLHUP) && !(events[i].events & EPOLLIN)) {
          conn_close(&srv, c);
          continue;
        }
        if (events[i].events & EPOLLOUT) flush_out(&srv, c);
        if (c->fd >= 0 && (events[i].events & EPOLLIN) && !c->pending) on_readable(&srv, c);
      }
    }
    fire_timers(&srv);
    while (srv.graveyard) {
      conn_t *c = srv.graveyard;
      srv.graveyard = c->next;
      free_conn(c);
    }
  }
  status = 0;
out:
  while (srv.conns) {
    conn_t *c = srv.conns;
    c->pending = 0;
    conn_close(&srv, c);
  }
  while (srv.graveyard) {
    conn_t *c = srv.graveyard;
    srv.graveyard = c->next;
    free_conn(c);
  }
  if (srv.lfd >= 0) close(srv.lfd);
  if (srv.sfd >= 0) close(srv.sfd);
  if (srv.epfd >= 0) close(srv.epfd);
  return status;
}
