#include "control.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "%s", msg);
  return -1;
}

/* A whole number in [lo, hi] or an error naming the field. */
static int get_int(const cJSON *v, const char *name, double lo, double hi, long *out, char *err,
                   size_t errlen) {
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
      v->valuedouble > hi) {
    snprintf(err, errlen, "%s: expected a whole number from %.0f to %.0f", name, lo, hi);
    return -1;
  }
  *out = (long)v->valuedouble;
  return 0;
}

int dp_control_set(dp_state_t *st, const char *body, size_t n, char *err, size_t errlen) {
  cJSON *root = cJSON_ParseWithLength(body, n);
  if (!root) return fail(err, errlen, "body: invalid json");
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return fail(err, errlen, "body: expected a JSON object");
  }
  dp_fault_t f = {0};
  f.rate = 1.0;
  f.count = -1;
  int rc = 0;
  for (const cJSON *it = root->child; it && rc == 0; it = it->next) {
    const char *k = it->string;
    long v;
    if (strcmp(k, "status") == 0) {
      if ((rc = get_int(it, "status", 100, 599, &v, err, errlen)) == 0) f.status = (int)v;
    } else if (strcmp(k, "rate") == 0) {
      if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1)
        rc = fail(err, errlen, "rate: expected a number from 0 to 1");
      else f.rate = it->valuedouble;
    } else if (strcmp(k, "count") == 0) {
      if ((rc = get_int(it, "count", 0, 1e15, &v, err, errlen)) == 0) f.count = v;
    } else if (strcmp(k, "delayMs") == 0) {
      if ((rc = get_int(it, "delayMs", 0, 3600000, &v, err, errlen)) == 0) f.delay_ms = v;
    } else if (strcmp(k, "drop") == 0) {
      if (!cJSON_IsBool(it)) rc = fail(err, errlen, "drop: expected true or false");
      else f.drop = cJSON_IsTrue(it);
    } else if (strcmp(k, "retryAfter") == 0) {
      if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble == floor(it->valuedouble))
        snprintf(f.retry_after, sizeof f.retry_after, "%.0f", it->valuedouble);
      else if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof f.retry_after ||
               strpbrk(it->valuestring, "\r\n"))
        rc = fail(err, errlen, "retryAfter: expected a string of at most 63 characters (one line)");
      else snprintf(f.retry_after, sizeof f.retry_after, "%s", it->valuestring);
    } else if (strcmp(k, "maxEvents") == 0) {
      if ((rc = get_int(it, "maxEvents", 1, 1e15, &v, err, errlen)) == 0) f.max_events = v;
    } else if (strcmp(k, "body") == 0) {
      if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof f.body)
        rc = fail(err, errlen, "body: expected a string of at most 255 characters");
      else snprintf(f.body, sizeof f.body, "%s", it->valuestring);
    } else {
      snprintf(err, errlen,
               "%.64s: unknown field (known: status, rate, count, delayMs, drop, retryAfter, "
               "maxEvents, body)", k);
      rc = -1;
    }
  }
  cJSON_Delete(root);
  if (rc) return rc;
  f.active = f.status || f.delay_ms || f.drop || f.max_events || f.retry_after[0];
  if (f.count == 0) f.active = 0;
  st->fault = f;
  return 0;
}

void dp_render_fault(const dp_state_t *st, obuf_t *o) {
  const dp_fault_t *f = &st->fault;
  if (!f->active) {
    obuf_puts(o, "{}");
    return;
  }
  obuf_printf(o, "{\"rate\":%g", f->rate);
  if (f->status) obuf_printf(o, ",\"status\":%d", f->status);
  if (f->count >= 0) obuf_printf(o, ",\"count\":%ld", f->count);
  if (f->delay_ms) obuf_printf(o, ",\"delayMs\":%ld", f->delay_ms);
  if (f->drop) obuf_puts(o, ",\"drop\":true");
  if (f->retry_after[0]) {
    obuf_puts(o, ",\"retryAfter\":");
    obuf_json_str(o, f->retry_after, strlen(f->retry_after));
  }
  if (f->max_events) obuf_printf(o, ",\"maxEvents\":%ld", f->max_events);
  if (f->body[0]) {
    obuf_puts(o, ",\"body\":");
    obuf_json_str(o, f->body, strlen(f->body));
  }
  obuf_puts(o, "}");
}

void dp_render_stats(const dp_state_t *st, obuf_t *o) {
  const dp_stats_t *s = &st->stats;
  obuf_printf(o,
              "{\"requests\":%llu,\"batches\":%llu,\"events\":%llu,\"unique\":%llu,"
              "\"duplicates\":%llu,\"rejected\":%llu,\"dropped\":%llu,\"bytesWire\":%llu,"
              "\"bytesRaw\":%llu,\"status\":{",
              (unsigned long long)s->requests, (unsigned long long)s->batches,
              (unsigned long long)s->events, (unsigned long long)s->unique,
              (unsigned long long)s->duplicates, (unsigned long long)s->rejected,
              (unsigned long long)s->dropped, (unsigned long long)s->bytes_wire,
              (unsigned long long)s->bytes_raw);
  int first = 1;
  for (int i = 0; i < STATUS_SLOTS; i++) {
    if (!s->status[i]) continue;
    obuf_printf(o, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)s->status[i]);
    first = 0;
  }
  obuf_printf(o, "},\"connections\":%llu,\"connectionsTotal\":%llu,\"fault\":",
              (unsigned long long)s->connections, (unsigned long long)st->connections_total);
  dp_render_fault(st, o);
  obuf_puts(o, "}");
}

void dp_render_events(const dp_state_t *st, obuf_t *o) {
  obuf_reserve(o, st->events_len + 2);
  obuf_put(o, "[", 1);
  obuf_put(o, st->events, st->events_len);
  obuf_put(o, "]", 1);
}

static void str_field(obuf_t *o, const char *name, const char *v) {
  obuf_printf(o, ",\"%s\":", name);
  obuf_json_str(o, v, v ? strlen(v) : 0);
}

void dp_render_requests(const dp_state_t *st, obuf_t *o) {
  obuf_puts(o, "[");
  for (size_t i = 0; i < st->reqlog_n; i++) {
    const dp_reqlog_t *r = &st->reqlog[(st->reqlog_head + i) % REQLOG_CAP];
    if (i) obuf_puts(o, ",\n");
    obuf_puts(o, "{\"path\":");
    obuf_json_str(o, r->path, strlen(r->path));
    obuf_printf(o, ",\"status\":%d,\"events\":%zu,\"gzip\":%s,\"bytesWire\":%zu,\"bytesRaw\":%zu",
                r->status, r->events, r->gzip ? "true" : "false", r->bytes_wire, r->bytes_raw);
    str_field(o, "authorization", r->authorization);
    str_field(o, "contentEncoding", r->content_encoding);
    str_field(o, "contentType", r->content_type);
    str_field(o, "userAgent", r->user_agent);
    obuf_puts(o, ",\"batchSentAt\":");
    obuf_puts(o, r->batch_sent_at ? r->batch_sent_at : "null");
    obuf_printf(o, ",\"msAfterStart\":%llu}", (unsigned long long)r->ms_after_start);
  }
  obuf_puts(o, "]");
}
