/* jsonw.c - JSON text writers in plain C (see jsonw.h). */
#include "jsonw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- UTF-8 */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

int fl_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

/* ---------------------------------------------------------------- writing */

void fl_json_quote(fl_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    fl_buf_reserve(b, n + 2);
    fl_buf_addc(b, '"');
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                i += k;
                continue;
            }
        }
        fl_buf_add(b, s + run, i - run);
        switch (c) {
        case '"':
            fl_buf_add(b, "\\\"", 2);
            break;
        case '\\':
            fl_buf_add(b, "\\\\", 2);
            break;
        case '\n':
            fl_buf_add(b, "\\n", 2);
            break;
        case '\r':
            fl_buf_add(b, "\\r", 2);
            break;
        case '\t':
            fl_buf_add(b, "\\t", 2);
            break;
        case '\b':
            fl_buf_add(b, "\\b", 2);
            break;
        case '\f':
            fl_buf_add(b, "\\f", 2);
            break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                fl_buf_add(b, e, 6);
            } else {
                fl_buf_add(b, "\xEF\xBF\xBD", 3); /* invalid UTF-8 byte -> U+FFFD */
            }
        }
        i++;
        run = i;
    }
    fl_buf_add(b, s + run, n - run);
    fl_buf_addc(b, '"');
}

void fl_json_integer(fl_buf *b, long long v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    fl_buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

int fl_json_float(fl_buf *b, double v)
{
    if (!isfinite(v))
        return 0;
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v)
            break;
    }
    fl_buf_add(b, tmp, (size_t)n);
    return 1;
}
