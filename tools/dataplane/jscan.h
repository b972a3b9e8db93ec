/* A validating JSON scanner that splits a RudderStack batch into its events without building
 * a DOM: it checks the whole text is valid JSON (RFC 8259 grammar; UTF-8 is not checked) and
 * records, for each event, where its text is and where a few top-level fields are. */
#ifndef DP_JSCAN_H
#define DP_JSCAN_H

#include <stddef.h>

/* A slice of the scanned text; p == NULL when absent. For strings the slice is the raw token
 * including its quotes. */
typedef struct {
  const char *p;
  size_t n;
} jspan_t;

typedef struct {
  jspan_t text;         /* the whole element, from its first to its last byte */
  jspan_t message_id;   /* top-level fields of the event object */
  jspan_t user_id;
  jspan_t anonymous_id;
  jspan_t type;
  int is_object;
} jevent_t;

typedef struct {
  jevent_t *events; /* the batch elements (or the single event) in order; owned, reused */
  size_t n, cap;
  int top_is_object;
  int batch_is_array; /* batch mode: the top-level object has "batch" and it is an array */
  int bad_element;    /* some element is not an object */
  jspan_t sent_at;    /* batch mode: top-level "sentAt" */
  size_t err_at;      /* where validation failed */
} jbatch_t;

/* Scans text[0..n). single == 0: the text is a batch request body {"batch":[...], ...};
 * single != 0: the text is one event. Returns 0 when the text is valid JSON, -1 otherwise
 * (out->err_at says where). out may be reused across calls; free with jscan_free. */
int jscan_batch(const char *text, size_t n, int single, jbatch_t *out);
void jscan_free(jbatch_t *b);

/* 1 when a field value counts as a present identity the way the gateway reads it: absent and
 * null do not count, a string counts when it has a non-blank character, anything else counts. */
int jscan_identity_present(jspan_t v);

/* 1 when the span is the JSON string token "<lit>" written without escapes. */
int jscan_string_is(jspan_t v, const char *lit);

#endif
