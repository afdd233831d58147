/*
 * base64.h - RFC 4648 base64: encodes with the standard alphabet (+/),
 * padded; decodes the standard and the URL-safe alphabet (-_) alike.
 *
 * Plain C on fl_buf; used by the result conversion (binary bodies) and by
 * the fnlua.base64 Lua module (lib.c).
 */
#ifndef FL_BASE64_H
#define FL_BASE64_H

#include <stddef.h>

#include "buf.h"

void fl_base64_encode(fl_buf *out, const unsigned char *in, size_t n);
/* Accepts either alphabet, padded or unpadded input, ignores whitespace;
 * 0 on invalid input. */
int fl_base64_decode(fl_buf *out, const char *in, size_t n);

#endif
