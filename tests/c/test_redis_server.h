/* test_redis_server.h — a real redis-server for the Redis tests: started on a free
 * 127.0.0.1 port with no persistence of its own, in a temporary directory, stopped by pid.
 * A missing redis-server fails the test loudly (CI installs it). Header-only. */
#ifndef RUDDER_TEST_REDIS_SERVER_H
#define RUDDER_TEST_REDIS_SERVER_H
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct redis_server {
    pid_t pid;
    int port;
    char dir[128];
    int appendonly;   /* 1: an append-only file with fsync on every write, so a restart keeps the data */
} redis_server_t;

static int rs_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void rs_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A connection to the test server, for looking at keys. NULL if it does not answer. */
static redisContext *rs_connect(const redis_server_t *rs) {
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", rs->port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (!ok) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* Starts redis-server on rs->port (a free one when 0). 0 when it answers PING. */
static int rs_start(redis_server_t *rs) {
    if (!rs->port) rs->port = rs_free_port();
    if (!rs->dir[0]) {
        snprintf(rs->dir, sizeof rs->dir, "/tmp/rudder-redis-XXXXXX");
        if (!mkdtemp(rs->dir)) return -1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", rs->port);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int devnull = open("/dev/null", 1);
        if (devnull >= 0) dup2(devnull, 1);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", rs->appendonly ? "yes" : "no", "--appendfsync", "always", "--dir", rs->dir,
               (char *)NULL);
        fprintf(stderr, "cannot run redis-server: %s (install redis-server)\n", strerror(errno));
        _exit(127);
    }
    rs->pid = pid;
    for (int i = 0; i < 500; i++) {
        redisContext *c = rs_connect(rs);
        if (c) {
            redisFree(c);
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "redis-server exited before answering (status %d)\n", st);
            rs->pid = 0;
            return -1;
        }
        rs_sleep_ms(10);
    }
    fprintf(stderr, "redis-server did not answer on 127.0.0.1:%d\n", rs->port);
    return -1;
}

/* Stops it by pid; the port and directory stay for a restart. */
static void rs_stop(redis_server_t *rs) {
    if (rs->pid <= 0) return;
    kill(rs->pid, SIGTERM);
    waitpid(rs->pid, NULL, 0);
    rs->pid = 0;
}

static void rs_destroy(redis_server_t *rs) {
    rs_stop(rs);
    if (rs->dir[0]) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", rs->dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", rs->dir);
    }
}

/* Runs a command that answers an integer; -1 on error. */
static long long rs_int(redisContext *c, const char *fmt, const char *arg) {
    redisReply *r = redisCommand(c, fmt, arg);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    return v;
}
#endif
