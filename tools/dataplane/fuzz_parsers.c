/* libFuzzer target for the stand-in's input parsers (JSON scanner, HTTP head, chunked body,
 * gzip). Not built by CMake; run by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -o /tmp/fuzz-dp \
 *     fuzz_parsers.c jscan.c http.c gunzip.c -lz && /tmp/fuzz-dp -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gunzip.h"
#include "http.h"
#include "jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static jbatch_t b;
  jscan_batch((const char *)data, size, 0, &b);
  for (size_t i = 0; i < b.n; i++) {
    jscan_identity_present(b.events[i].user_id);
    jscan_identity_present(b.events[i].anonymous_id);
  }
  jscan_batch((const char *)data, size, 1, &b);

  http_req_t req;
  http_parse_head((const char *)data, size, &req);

  char *copy = malloc(size + 1);
  memcpy(copy, data, size);
  size_t dec, used;
  http_dechunk(copy, size, 1 << 20, &dec, &used);
  free(copy);

  static char *out;
  static size_t cap;
  size_t n;
  gunzip(data, size, &out, &cap, &n, 1 << 20);
  return 0;
}
