/* base.h — what base/ offers every other subsystem: small tools with no knowledge of
 * events, JSON or settings.
 *   arena.h     per-push bump memory for JSON trees
 *   buf.h       the growable byte buffer core builds all text with
 *   clock.h     wall and monotonic time, the ISO timestamp we send
 *   uuid.h      UUID v4 for messageIds
 *   textscan.h  skipping the plain part of JSON string text a word at a time
 *   backoff.h   retry delays with jitter          gzip.h   one reusable deflate stream
 *   err.c       the error codes' names and texts (public API, ruddercore.h)
 * base/ includes nothing of core/src outside itself. */
#ifndef RUDDER_BASE_H
#define RUDDER_BASE_H
#include "arena.h"
#include "backoff.h"
#include "buf.h"
#include "clock.h"
#include "gzip.h"
#include "textscan.h"
#include "uuid.h"
#endif
