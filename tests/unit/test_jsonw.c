/*
 * test_jsonw.c - the plain-C JSON text writers (fl_json_quote, fl_json_integer,
 * fl_json_float, fl_utf8_valid).
 *
 * Log lines, error objects and envelopes are quoted by these writers, so
 * their bytes are part of what clients and log services see.  ref_quote below
 * restates, one byte at a time, the quoting fnlua had inside the Lua JSON
 * codec (json.c) before the writers moved to jsonw.c; it is the oracle:
 * every tricky string and a few hundred thousand generated ones must come
 * out byte for byte the same.
 * lua-cjson (the `cjson` module handlers may use) quotes differently ("/" as
 * "\/", DEL as \u007f, invalid UTF-8 passed through as it is) and is not
 * what fnlua writes.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "jsonw.h"

/* ---------------------------------------------------------------- the oracle */

static size_t ref_utf8_seq(const unsigned char *s, size_t n)
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

static int ref_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        size_t k = ref_utf8_seq(s + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

static void ref_quote(fl_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    fl_buf_addc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            fl_buf_addc(b, (char)c);
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = ref_utf8_seq(s + i, n - i);
            if (k) {
                fl_buf_add(b, s + i, k);
                i += k;
                continue;
            }
        }
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
                fl_buf_add(b, "\xEF\xBF\xBD", 3);
            }
        }
        i++;
    }
    fl_buf_addc(b, '"');
}

/* ---------------------------------------------------------------- helpers */

static fl_buf got, want;

/* fl_json_quote(s) must equal ref_quote(s), appended after a prefix. */
static int same_as_ref(const char *s, size_t n)
{
    fl_buf_reset(&got);
    fl_buf_reset(&want);
    fl_buf_adds(&got, "p:");
    fl_buf_adds(&want, "p:");
    fl_json_quote(&got, s, n);
    ref_quote(&want, s, n);
    return got.len == want.len && memcmp(got.data, want.data, got.len) == 0;
}

#define QUOTE(name, lit, expect)                                                                                       \
    do {                                                                                                               \
        fl_buf_reset(&got);                                                                                            \
        fl_json_quote(&got, lit, sizeof(lit) - 1);                                                                     \
        CHECK_MEM(name, got.data, got.len, expect, sizeof(expect) - 1);                                                \
        CHECK(name " (as the oracle)", same_as_ref(lit, sizeof(lit) - 1));                                             \
    } while (0)

/* ---------------------------------------------------------------- tests */

static void test_quote_exact(void)
{
    QUOTE("quote: plain ASCII -> verbatim", "hello, world", "\"hello, world\"");
    QUOTE("quote: empty -> \"\"", "", "\"\"");
    QUOTE("quote: quote and backslash -> escaped", "a\"b\\c", "\"a\\\"b\\\\c\"");
    QUOTE("quote: slash -> kept (lua-cjson writes \\/)", "a/b", "\"a/b\"");
    QUOTE("quote: short escapes", "\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
    QUOTE("quote: NUL -> \\u0000", "a\0b", "\"a\\u0000b\"");
    QUOTE("quote: other control bytes -> \\u00XX lower-case hex", "\x01\x0b\x1b\x1f",
          "\"\\u0001\\u000b\\u001b\\u001f\"");
    QUOTE("quote: DEL -> kept", "\x7f", "\"\x7f\"");
    QUOTE("quote: 2, 3 and 4-byte UTF-8 -> kept", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
          "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    QUOTE("quote: U+2028 and U+2029 -> kept", "\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\"");
    QUOTE("quote: lone continuation byte -> U+FFFD", "a\x80z", "\"a\xef\xbf\xbdz\"");
    QUOTE("quote: byte ff -> U+FFFD", "\xff", "\"\xef\xbf\xbd\"");
    QUOTE("quote: overlong c0 80 -> two U+FFFD", "\xc0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    QUOTE("quote: surrogate ed a0 80 -> three U+FFFD", "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    QUOTE("quote: above U+10FFFF -> four U+FFFD", "\xf4\x90\x80\x80",
          "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    QUOTE("quote: truncated 3-byte sequence at the end -> one U+FFFD per byte", "ab\xe2\x82",
          "\"ab\xef\xbf\xbd\xef\xbf\xbd\"");
    QUOTE("quote: lead byte then a control byte", "\xc3\n", "\"\xef\xbf\xbd\\n\"");
    QUOTE("quote: lead byte then a quote", "\xe2\"", "\"\xef\xbf\xbd\\\"\"");
    QUOTE("quote: bad byte between valid sequences", "\xc3\xa9\xfe\xc3\xa9", "\"\xc3\xa9\xef\xbf\xbd\xc3\xa9\"");

    fl_buf_reset(&got);
    fl_buf_adds(&got, "x=");
    fl_json_quote(&got, "y", 1);
    CHECK_MEM("quote: appends to what the buffer holds", got.data, got.len, "x=\"y\"", 5);
    fl_buf_reset(&got);
    fl_json_quote(&got, "ab\xff", 2);
    CHECK_MEM("quote: length honoured (stops before the bad byte)", got.data, got.len, "\"ab\"", 4);
}

/* Every string of up to 2 bytes, then many generated strings of every byte
 * class (ASCII, control, quote, backslash, continuation, lead bytes of each
 * length, invalid lead bytes), short and past the writers' 8-byte steps. */
static void test_quote_as_oracle(void)
{
    int bad = 0;
    unsigned char s[64];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        bad += !same_as_ref((const char *)s, 1);
        for (unsigned c = 0; c < 256; c++) {
            s[1] = (unsigned char)c;
            bad += !same_as_ref((const char *)s, 2);
        }
    }
    CHECK_INT("quote: every 1- and 2-byte string as the oracle", bad, 0);

    static const unsigned char pool[] = {'a',  'Z',  ' ',  '~',  '"',  '\\', '/',  0x00, 0x01, '\n',
                                         '\t', 0x1f, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
                                         0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    int bad_quote = 0, bad_utf8 = 0;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = (size_t)(x % sizeof s);
        uint64_t y = x;
        for (size_t k = 0; k < n; k++) {
            y = y * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(y >> 33);
            /* mostly ASCII letters, as real text is, with the odd byte */
            s[k] = (r & 3) ? (unsigned char)('a' + (r >> 2) % 26) : pool[(r >> 2) % sizeof pool];
        }
        bad_quote += !same_as_ref((const char *)s, n);
        bad_utf8 += fl_utf8_valid((const char *)s, n) != ref_utf8_valid((const char *)s, n);
    }
    CHECK_INT("quote: 300,000 generated strings as the oracle", bad_quote, 0);
    CHECK_INT("UTF-8 check: 300,000 generated strings as the oracle", bad_utf8, 0);
}

static void test_numbers(void)
{
    fl_buf_reset(&got);
    fl_json_integer(&got, 0);
    fl_buf_addc(&got, ' ');
    fl_json_integer(&got, -42);
    fl_buf_addc(&got, ' ');
    fl_json_integer(&got, INT64_MIN);
    fl_buf_addc(&got, ' ');
    fl_json_integer(&got, INT64_MAX);
    CHECK_STR("integers -> exact decimal", fl_buf_cstr(&got), "0 -42 -9223372036854775808 9223372036854775807");
    fl_buf_reset(&got);
    CHECK_INT("float 0.1 -> written", fl_json_float(&got, 0.1), 1);
    fl_buf_addc(&got, ' ');
    fl_json_float(&got, 0.1 + 0.2);
    fl_buf_addc(&got, ' ');
    fl_json_float(&got, -2.5);
    CHECK_STR("floats -> fewest digits that read back", fl_buf_cstr(&got), "0.1 0.30000000000000004 -2.5");
    fl_buf_reset(&got);
    CHECK_INT("float NaN -> refused", fl_json_float(&got, 0.0 / 0.0), 0);
    CHECK_INT("float NaN -> nothing written", (long long)got.len, 0);
}

/* ---------------------------------------------------------------- UTF-8 check and quoting, by example */

/* The text of b with every \\ufffd escape written as the raw U+FFFD bytes:
 * either form is a correct rendering of an invalid byte. */
static const char *replacement_unescaped(fl_buf *b)
{
    const char *s = fl_buf_cstr(b);
    char *p;
    while ((p = strstr(s, "\\ufffd")) != NULL) {
        memcpy(p, "\xef\xbf\xbd", 3);
        memmove(p + 3, p + 6, strlen(p + 6) + 1);
        b->len -= 3;
    }
    return s;
}

#define UTF8(name, lit, want) CHECK_INT(name, fl_utf8_valid(lit, sizeof(lit) - 1), want)

static void test_utf8_and_quote(void)
{
    UTF8("UTF-8 empty -> valid", "", 1);
    UTF8("UTF-8 ASCII -> valid", "hello, world 0123456789", 1);
    UTF8("UTF-8 embedded NUL -> valid", "a\0b", 1);
    UTF8("UTF-8 2-byte e-acute -> valid", "caf\xc3\xa9", 1);
    UTF8("UTF-8 3-byte euro -> valid", "\xe2\x82\xac", 1);
    UTF8("UTF-8 4-byte emoji -> valid", "\xf0\x9f\x98\x80", 1);
    UTF8("UTF-8 U+10FFFF -> valid", "\xf4\x8f\xbf\xbf", 1);
    UTF8("UTF-8 U+FFFF -> valid", "\xef\xbf\xbf", 1);
    UTF8("UTF-8 lone continuation byte -> invalid", "a\x80", 0);
    UTF8("UTF-8 byte ff -> invalid", "\xff", 0);
    UTF8("UTF-8 byte f5 lead -> invalid", "\xf5\x80\x80\x80", 0);
    UTF8("UTF-8 overlong c0 80 -> invalid", "\xc0\x80", 0);
    UTF8("UTF-8 overlong c1 bf -> invalid", "\xc1\xbf", 0);
    UTF8("UTF-8 overlong e0 80 80 -> invalid", "\xe0\x80\x80", 0);
    UTF8("UTF-8 overlong f0 80 80 80 -> invalid", "\xf0\x80\x80\x80", 0);
    UTF8("UTF-8 surrogate ed a0 80 -> invalid", "\xed\xa0\x80", 0);
    UTF8("UTF-8 above U+10FFFF f4 90 80 80 -> invalid", "\xf4\x90\x80\x80", 0);
    UTF8("UTF-8 truncated 2-byte at end -> invalid", "abc\xc3", 0);
    UTF8("UTF-8 truncated 4-byte at end -> invalid", "\xf0\x9f\x98", 0);
    UTF8("UTF-8 lead byte followed by ASCII -> invalid", "\xc3(", 0);
    UTF8("UTF-8 invalid byte after 16 ASCII bytes -> invalid", "0123456789abcdef\xff", 0);
    UTF8("UTF-8 invalid byte in the middle of a long text -> invalid",
         "0123456789abcdef\xfe"
         "0123456789abcdef",
         0);
    UTF8("UTF-8 multibyte after 8 ASCII bytes -> valid",
         "01234567\xc3\xa9"
         "01234567",
         1);
    CHECK_INT("UTF-8 length honoured: stop before a bad byte -> valid", fl_utf8_valid("ab\xff", 2), 1);

    fl_buf b;
    fl_buf_init(&b);
    fl_json_quote(&b, "a\"b\\c/d", 7);
    CHECK_STR("quote: \" and \\ escaped, / kept", fl_buf_cstr(&b), "\"a\\\"b\\\\c/d\"");
    fl_buf_reset(&b);
    fl_json_quote(&b, "\n\r\t\b\f\x01\x1f\x7f", 8);
    CHECK_STR("quote: control bytes -> short or \\u escapes, DEL kept", fl_buf_cstr(&b),
              "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
    fl_buf_reset(&b);
    fl_json_quote(&b, "a\0b", 3);
    CHECK_STR("quote: NUL byte -> \\u0000", fl_buf_cstr(&b), "\"a\\u0000b\"");
    fl_buf_reset(&b);
    fl_json_quote(&b, "\xc3\xa9\xff\xe2\x82", 5);
    CHECK_STR("quote: valid UTF-8 kept, each bad byte -> U+FFFD", replacement_unescaped(&b),
              "\"\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    fl_buf_reset(&b);
    fl_json_quote(&b, "", 0);
    CHECK_STR("quote: empty -> \"\"", fl_buf_cstr(&b), "\"\"");
    fl_buf_reset(&b);
    fl_buf_adds(&b, "x=");
    fl_json_quote(&b, "y", 1);
    CHECK_STR("quote: appends to what the buffer holds", fl_buf_cstr(&b), "x=\"y\"");
    fl_buf_free(&b);
}

int main(void)
{
    fl_buf_init(&got);
    fl_buf_init(&want);
    test_utf8_and_quote();
    test_quote_exact();
    test_quote_as_oracle();
    test_numbers();
    fl_buf_free(&got);
    fl_buf_free(&want);
    return check_finish("test_jsonw");
}
