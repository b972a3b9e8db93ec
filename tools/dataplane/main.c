/* rudder-dataplane: a local stand-in for a RudderStack data plane (rudder-server gateway) for
 * tests, demos and benchmarks. See README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "state.h"

static void usage(FILE *f) {
  fputs("usage: rudder-dataplane [--host 127.0.0.1] [--port 0] [--write-key KEY]...\n"
        "                        [--store|--no-store] [--record FILE.ndjson|-] [--quiet]\n"
        "  --host H        address to listen on (default 127.0.0.1)\n"
        "  --port N        port; 0 picks a free one (default 0)\n"
        "  --write-key K   accepted write key, may repeat (default: any non-empty key)\n"
        "  --store         keep accepted events for GET /_events (default)\n"
        "  --no-store      keep only counts and the messageId set (benchmarks)\n"
        "  --record FILE   append each accepted event as one NDJSON line ('-' = stdout)\n"
        "  --quiet         no per-request log line on stderr\n"
        "Prints 'listening http://HOST:PORT' on stdout once ready. Routes: see README.md.\n",
        f);
}

int main(int argc, char **argv) {
  dp_state_t st = {0};
  st.cfg.host = "127.0.0.1";
  st.cfg.port = 0;
  st.cfg.store = 1;
  const char **keys = calloc((size_t)argc + 1, sizeof *keys);
  if (!keys) return 1;
  st.cfg.write_keys = keys;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE                                                   \
  do {                                                                \
    if (!val) {                                                       \
      fprintf(stderr, "rudder-dataplane: %s needs a value\n", a);     \
      return 2;                                                       \
    }                                                                 \
    i++;                                                              \
  } while (0)
    if (strcmp(a, "--host") == 0) {
      NEEDS_VALUE;
      st.cfg.host = val;
    } else if (strcmp(a, "--port") == 0) {
      NEEDS_VALUE;
      char *end;
      long p = strtol(val, &end, 10);
      if (*val == 0 || *end || p < 0 || p > 65535) {
        fprintf(stderr, "rudder-dataplane: --port: expected 0..65535, got '%s'\n", val);
        return 2;
      }
      st.cfg.port = (int)p;
    } else if (strcmp(a, "--write-key") == 0) {
      NEEDS_VALUE;
      if (!*val) {
        fprintf(stderr, "rudder-dataplane: --write-key: must not be empty\n");
        return 2;
      }
      keys[st.cfg.n_write_keys++] = val;
    } else if (strcmp(a, "--store") == 0) {
      st.cfg.store = 1;
    } else if (strcmp(a, "--no-store") == 0) {
      st.cfg.store = 0;
    } else if (strcmp(a, "--record") == 0) {
      NEEDS_VALUE;
      st.cfg.record_path = val;
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
      st.cfg.quiet = 1;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "rudder-dataplane: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    }
#undef NEEDS_VALUE
  }

  if (dp_state_init(&st)) {
    fprintf(stderr, "rudder-dataplane: out of memory\n");
    return 1;
  }
  if (st.cfg.record_path) {
    st.record = strcmp(st.cfg.record_path, "-") == 0 ? stdout : fopen(st.cfg.record_path, "a");
    if (!st.record) {
      fprintf(stderr, "rudder-dataplane: --record %s: ", st.cfg.record_path);
      perror(NULL);
      return 1;
    }
  }
  int rc = server_run(&st);
  dp_state_free(&st);
  free(keys);
  return rc;
}
