/* HTTP/1.1 request parsing and response formatting for the stand-in: just enough of the
 * protocol for SDK clients (keep-alive, Content-Length or chunked bodies, Expect: 100-continue). */
#ifndef DP_HTTP_H
#define DP_HTTP_H

#include <stddef.h>

#define HTTP_MAX_HEADER (64 * 1024)
#define HTTP_MAX_BODY ((size_t)64 * 1024 * 1024)

/* offsets into the connection's input buffer; len 0 = absent */
typedef struct {
  size_t off, len;
} hspan_t;

typedef struct {
  hspan_t method, target, path; /* path = target without the query string */
  int minor_version;            /* HTTP/1.x */
  hspan_t authorization, content_encoding, content_type, user_agent, connection, expect,
      transfer_encoding;
  long long content_length; /* -1 when absent */
  int chunked;
  int keep_alive;           /* what the client asked for */
  size_t header_len;        /* bytes up to and including the blank line */
} http_req_t;

enum { HTTP_NEED_MORE = 0, HTTP_DONE = 1, HTTP_BAD = -1, HTTP_HEADER_TOO_BIG = -2,
       HTTP_BODY_TOO_BIG = -3 };

/* Parses the head of the request at buf[0..len). HTTP_DONE fills req. */
int http_parse_head(const char *buf, size_t len, http_req_t *req);

/* Decodes a chunked body starting at body[0..len): HTTP_DONE when complete, with the decoded
 * size in *decoded (decoded in place: the data is moved to the front of body) and the bytes the
 * chunked encoding took in *consumed; HTTP_NEED_MORE when incomplete (body untouched). */
int http_dechunk(char *body, size_t len, size_t max, size_t *decoded, size_t *consumed);

/* 1 when the span equals lit (case-insensitive when ci). */
int http_span_eq(const char *buf, hspan_t s, const char *lit, int ci);

const char *http_reason(int status);

#endif
