/* base64.c - RFC 4648 base64 (see base64.h). */
#include "base64.h"

static const char enc_table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void fl_base64_encode(fl_buf *out, const unsigned char *in, size_t n)
{
    fl_buf_reserve(out, (n + 2) / 3 * 4);
    char *o = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *o++ = enc_table[v >> 18];
        *o++ = enc_table[(v >> 12) & 63];
        *o++ = enc_table[(v >> 6) & 63];
        *o++ = enc_table[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        *o++ = enc_table[v >> 18];
        *o++ = enc_table[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        *o++ = enc_table[v >> 18];
        *o++ = enc_table[(v >> 12) & 63];
        *o++ = enc_table[(v >> 6) & 63];
        *o++ = '=';
    }
    out->len = (size_t)(o - out->data);
}

static int dec_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int fl_base64_decode(fl_buf *out, const char *in, size_t n)
{
    fl_buf_reserve(out, n / 4 * 3 + 3);
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = dec_value(c);
        if (v < 0 || pad)
            return 0; /* bad character, or data after padding */
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (char)((acc >> bits) & 0xFF);
        }
    }
    if (pad > 2 || bits >= 6)
        return 0;
    return 1;
}
