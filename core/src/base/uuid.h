/* uuid.h — random UUID v4 for messageIds. */
#ifndef RUDDER_UUID_H
#define RUDDER_UUID_H
/* Writes a lowercase 8-4-4-4-12 UUID v4 and a NUL into out (>= 37 bytes). */
void uuid_v4(char *out);
/* A forked child reseeds by itself (an atfork handler registered at load time), so it
 * never repeats its parent's ids. */
#endif
