#include "http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

int http_span_eq(const char *buf, hspan_t s, const char *lit, int ci) {
  size_t n = strlen(lit);
  if (s.len != n) return 0;
  return ci ? strncasecmp(buf + s.off, lit, n) == 0 : memcmp(buf + s.off, lit, n) == 0;
}

/* 1 when the comma-separated header value has token (case-insensitive). */
static int has_token(const char *buf, hspan_t s, const char *token) {
  size_t tn = strlen(token);
  const char *p = buf + s.off, *end = p + s.len;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
    const char *t = p;
    while (p < end && *p != ',') p++;
    const char *te = p;
    while (te > t && (te[-1] == ' ' || te[-1] == '\t')) te--;
    if ((size_t)(te - t) == tn && strncasecmp(t, token, tn) == 0) return 1;
  }
  return 0;
}

static int is_tchar(unsigned char c) {
  return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int http_parse_head(const char *buf, size_t len, http_req_t *req) {
  size_t scan = len < HTTP_MAX_HEADER ? len : HTTP_MAX_HEADER;
  const char *eoh = NULL;
  for (const char *p = buf; p + 3 < buf + scan; p++) {
    p = memchr(p, '\r', (size_t)(buf + scan - p));
    if (!p || p + 3 >= buf + scan) break;
    if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n') { eoh = p; break; }
  }
  if (!eoh) return len >= HTTP_MAX_HEADER ? HTTP_HEADER_TOO_BIG : HTTP_NEED_MORE;

  memset(req, 0, sizeof *req);
  req->content_length = -1;
  req->header_len = (size_t)(eoh - buf) + 4;

  /* request line: METHOD SP target SP HTTP/1.x CRLF */
  const char *p = buf, *line_end = memchr(buf, '\r', (size_t)(eoh - buf) + 1);
  if (line_end[1] != '\n') return HTTP_BAD;
  const char *m = p;
  while (p < line_end && is_tchar((unsigned char)*p)) p++;
  if (p == m || p >= line_end || *p != ' ' || p - m > 15) return HTTP_BAD;
  req->method = (hspan_t){(size_t)(m - buf), (size_t)(p - m)};
  p++;
  const char *t = p;
  while (p < line_end && *p != ' ') {
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) return HTTP_BAD;
    p++;
  }
  if (p == t || p >= line_end) return HTTP_BAD;
  req->target = (hspan_t){(size_t)(t - buf), (size_t)(p - t)};
  const char *q = memchr(t, '?', (size_t)(p - t));
  req->path = (hspan_t){(size_t)(t - buf), (size_t)((q ? q : p) - t)};
  p++;
  if (line_end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1'))
    return HTTP_BAD;
  req->minor_version = p[7] - '0';

  /* header fields */
  p = line_end + 2;
  while (p < eoh + 2) {
    const char *le = memchr(p, '\r', (size_t)(eoh + 2 - p));
    if (!le || le[1] != '\n') return HTTP_BAD;
    if (le == p) break;
    const char *name = p, *colon = p;
    while (colon < le && is_tchar((unsigned char)*colon)) colon++;
    if (colon == name || colon >= le || *colon != ':') return HTTP_BAD;
    size_t nn = (size_t)(colon - name);
    const char *v = colon + 1, *ve = le;
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    for (const char *c = v; c < ve; c++)
      if ((unsigned char)*c < 0x20 && *c != '\t') return HTTP_BAD;
    hspan_t val = {(size_t)(v - buf), (size_t)(ve - v)};
#define NAME_IS(lit) (nn == sizeof(lit) - 1 && strncasecmp(name, lit, nn) == 0)
    if (NAME_IS("authorization")) req->authorization = val;
    else if (NAME_IS("content-encoding")) req->content_encoding = val;
    else if (NAME_IS("content-type")) req->content_type = val;
    else if (NAME_IS("user-agent")) req->user_agent = val;
    else if (NAME_IS("connection")) req->connection = val;
    else if (NAME_IS("expect")) req->expect = val;
    else if (NAME_IS("transfer-encoding")) req->transfer_encoding = val;
    else if (NAME_IS("content-length")) {
      if (val.len == 0 || val.len > 18) return HTTP_BAD;
      long long cl = 0;
      for (size_t i = 0; i < val.len; i++) {
        char c = buf[val.off + i];
        if (c < '0' || c > '9') return HTTP_BAD;
        cl = cl * 10 + (c - '0');
      }
      if (req->content_length >= 0 && req->content_length != cl) return HTTP_BAD;
      req->content_length = cl;
    }
#undef NAME_IS
    p = le + 2;
  }

  if (req->transfer_encoding.len) {
    /* only "chunked" is understood, and it overrides Content-Length (RFC 9112 6.3) */
    if (!http_span_eq(buf, req->transfer_encoding, "chunked", 1)) return HTTP_BAD;
    req->chunked = 1;
    req->content_length = -1;
  }
  if (req->minor_version == 1)
    req->keep_alive = !(req->connection.len && has_token(buf, req->connection, "close"));
  else
    req->keep_alive = req->connection.len && has_token(buf, req->connection, "keep-alive");
  if (req->content_length > (long long)HTTP_MAX_BODY) return HTTP_BODY_TOO_BIG;
  return HTTP_DONE;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int http_dechunk(char *body, size_t len, size_t max, size_t *decoded, size_t *consumed) {
  /* first pass: find out whether the whole body is there, without moving anything */
  size_t pos = 0, total = 0;
  for (;;) {
    size_t size = 0, digits = 0;
    while (pos < len && hexval(body[pos]) >= 0) {
      if (++digits > 15) return HTTP_BAD;
      size = size * 16 + (size_t)hexval(body[pos++]);
    }
    if (pos >= len) return HTTP_NEED_MORE;
    if (digits == 0) return HTTP_BAD;
    /* skip chunk extensions up to CRLF */
    const char *cr = memchr(body + pos, '\n', len - pos);
    if (!cr) return len - pos > 4096 ? HTTP_BAD : HTTP_NEED_MORE;
    if (cr == body + pos || cr[-1] != '\r') return HTTP_BAD;
    pos = (size_t)(cr - body) + 1;
    if (size == 0) {
      /* trailers until an empty line */
      for (;;) {
        const char *nl = memchr(body + pos, '\n', len - pos);
        if (!nl) return len - pos > 4096 ? HTTP_BAD : HTTP_NEED_MORE;
        size_t ll = (size_t)(nl - (body + pos));
        if (ll == 0 || body[pos + ll - 1] != '\r') return HTTP_BAD;
        pos += ll + 1;
        if (ll == 1) goto complete;
      }
    }
    total += size;
    if (total > max) return HTTP_BODY_TOO_BIG;
    if (len - pos < size + 2) return HTTP_NEED_MORE;
    if (body[pos + size] != '\r' || body[pos + size + 1] != '\n') return HTTP_BAD;
    pos += size + 2;
  }
complete:
  *consumed = pos;
  /* second pass: move the data to the front */
  pos = 0;
  size_t out = 0;
  for (;;) {
    size_t size = 0;
    while (hexval(body[pos]) >= 0) size = size * 16 + (size_t)hexval(body[pos++]);
    pos = (size_t)((char *)memchr(body + pos, '\n', len - pos) - body) + 1;
    if (size == 0) break;
    memmove(body + out, body + pos, size);
    out += size;
    pos += size + 2;
  }
  *decoded = out;
  return HTTP_DONE;
}

const char *http_reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 413: return "Request Entity Too Large";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}
