/*
 * jsonw.h - JSON text writers: plain C, no Lua.
 *
 * What every JSON text fnlua writes is built from: log lines (log.c), error
 * objects and envelopes (answer.c), and the Lua codec's output (json.c).
 *
 * fl_json_quote writes a JSON string: '"' and '\' escaped, \n \r \t \b \f
 * as such, other bytes below 0x20 as \u00XX (lower-case hex); DEL, '/' and
 * valid UTF-8 (U+2028/2029 included) are kept as they are; each byte that
 * does not start a valid UTF-8 sequence (overlong forms, surrogates, above
 * U+10FFFF, truncated sequences) becomes U+FFFD, so the output is always
 * valid JSON and valid UTF-8.  Integers are written exactly over 64 bits,
 * floats with the fewest digits (15 to 17) that read back as the same
 * double.  Each appends to b; allocation failure aborts (buf.h).
 */
#ifndef FL_JSONW_H
#define FL_JSONW_H

#include <stddef.h>

#include "buf.h"

void fl_json_quote(fl_buf *b, const char *s, size_t n);
void fl_json_integer(fl_buf *b, long long v);
int fl_json_float(fl_buf *b, double v); /* 0 for NaN/inf (nothing written) */
/* 1 when the n bytes at s are valid UTF-8 (the rules above). */
int fl_utf8_valid(const char *s, size_t n);

#endif
