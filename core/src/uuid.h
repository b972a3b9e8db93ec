/* uuid.h — random UUID v4 for messageIds. */
#ifndef RUDDER_UUID_H
#define RUDDER_UUID_H
/* Writes a lowercase 8-4-4-4-12 UUID v4 and a NUL into out (>= 37 bytes). */
void uuid_v4(char *out);
/* Called in a forked child so it never repeats its parent's ids. */
void uuid_after_fork(void);
#endif
