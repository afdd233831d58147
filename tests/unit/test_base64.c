/*
 * test_base64.c - base64.c: RFC 4648 section 10 test vectors both ways,
 * the decoder's leniency (no padding, whitespace) and its refusals, and a
 * binary round trip of every byte value.
 */
#include <string.h>

#include "base64.h"
#include "check.h"

static const char *const vectors[][2] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_vectors(void)
{
    fl_buf b;
    fl_buf_init(&b);
    char name[128];
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *plain = vectors[i][0], *enc = vectors[i][1];
        fl_buf_reset(&b);
        fl_base64_encode(&b, (const unsigned char *)plain, strlen(plain));
        snprintf(name, sizeof name, "bytes \"%s\" -> base64 \"%s\"", plain, enc);
        CHECK_MEM(name, b.data ? b.data : "", b.len, enc, strlen(enc));

        fl_buf_reset(&b);
        snprintf(name, sizeof name, "base64 \"%s\" -> accepted", enc);
        CHECK_INT(name, fl_base64_decode(&b, enc, strlen(enc)), 1);
        snprintf(name, sizeof name, "base64 \"%s\" -> bytes \"%s\"", enc, plain);
        CHECK_MEM(name, b.data ? b.data : "", b.len, plain, strlen(plain));

        /* the same without padding */
        size_t n = strlen(enc);
        while (n && enc[n - 1] == '=')
            n--;
        fl_buf_reset(&b);
        snprintf(name, sizeof name, "base64 \"%.*s\" without padding -> bytes \"%s\"", (int)n, enc, plain);
        int ok = fl_base64_decode(&b, enc, n);
        CHECK_INT(name, ok, 1);
        CHECK_MEM(name, b.data ? b.data : "", b.len, plain, strlen(plain));
    }
    fl_buf_free(&b);
}

#define DECODES(name, in, want)                                                                                        \
    do {                                                                                                               \
        fl_buf_reset(&b);                                                                                              \
        int ok_ = fl_base64_decode(&b, in, sizeof(in) - 1);                                                            \
        CHECK_INT(name, ok_, 1);                                                                                       \
        CHECK_MEM(name, b.data ? b.data : "", ok_ ? b.len : 0, want, sizeof(want) - 1);                                \
    } while (0)
#define REFUSES(name, in)                                                                                              \
    do {                                                                                                               \
        fl_buf_reset(&b);                                                                                              \
        CHECK_INT(name, fl_base64_decode(&b, in, sizeof(in) - 1), 0);                                                  \
    } while (0)

static void test_decoder(void)
{
    fl_buf b;
    fl_buf_init(&b);
    DECODES("base64 with line breaks and spaces -> whitespace ignored", "Zm9v\r\nYmFy\n Zg==\t", "foobarf");
    DECODES("base64 of binary bytes /wAB -> ff 00 01", "/wAB", "\xff\x00\x01");
    DECODES("base64 with + and / -> bytes fb ff bf", "+/+/", "\xfb\xff\xbf");
    DECODES("base64url with - and _ -> same bytes as + and /", "-_-_", "\xfb\xff\xbf");
    DECODES("base64 of 57 bytes (one MIME line) -> decoded",
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234");
    REFUSES("base64 with ! -> refused", "Zm9v!");
    REFUSES("base64 with a NUL byte -> refused", "Zm\0v");
    REFUSES("base64 with a non-ASCII byte -> refused", "Zm9v\xc3\xa9");
    REFUSES("base64 with data after padding -> refused", "Zg==Zm9v");
    REFUSES("base64 with a character after = -> refused", "Zg=a");
    REFUSES("base64 with three = -> refused", "Zg===");
    REFUSES("base64 of a single character (6 bits) -> refused", "Z");
    REFUSES("base64 of five characters -> refused", "Zm9vY");
    REFUSES("base64 with a dot -> refused", "Zm9v.mFy");
    fl_buf_free(&b);
}

static void test_binary(void)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    fl_buf enc, dec;
    fl_buf_init(&enc);
    fl_buf_init(&dec);
    fl_base64_encode(&enc, all, sizeof all);
    CHECK_INT("bytes 00..ff -> base64 of 344 characters", (long long)enc.len, 344);
    CHECK_MEM("bytes 00..ff -> base64 starting AAECAwQF", enc.data, 8, "AAECAwQF", 8);
    CHECK_MEM("bytes 00..ff -> base64 ending /P3+/w==", enc.data + enc.len - 8, 8, "/P3+/w==", 8);
    CHECK_INT("base64 of bytes 00..ff -> accepted", fl_base64_decode(&dec, enc.data, enc.len), 1);
    CHECK_MEM("base64 of bytes 00..ff -> the same 256 bytes", dec.data, dec.len, (const char *)all, sizeof all);

    /* every length 0..40 from every offset, so each padding case meets every byte */
    int bad = 0;
    for (size_t off = 0; off < 256; off += 7)
        for (size_t n = 0; n <= 40 && off + n <= 256; n++) {
            fl_buf_reset(&enc);
            fl_buf_reset(&dec);
            fl_base64_encode(&enc, all + off, n);
            if (enc.len != (n + 2) / 3 * 4 || !fl_base64_decode(&dec, enc.data ? enc.data : "", enc.len) ||
                dec.len != n || (n && memcmp(dec.data, all + off, n) != 0))
                bad++;
        }
    CHECK_INT("binary slices of every length 0..40 -> base64 -> the same bytes", bad, 0);

    /* both directions append to what the buffer already holds */
    fl_buf_reset(&enc);
    fl_buf_adds(&enc, "data:");
    fl_base64_encode(&enc, (const unsigned char *)"hi", 2);
    CHECK_MEM("encode -> appends to the buffer", enc.data, enc.len, "data:aGk=", 9);
    fl_buf_reset(&dec);
    fl_buf_adds(&dec, ">");
    fl_base64_decode(&dec, "aGk=", 4);
    CHECK_MEM("decode -> appends to the buffer", dec.data, dec.len, ">hi", 3);

    /* large input: the output is reserved once and written in place */
    static unsigned char big[300000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 131 + (i >> 8));
    fl_buf_reset(&enc);
    fl_buf_reset(&dec);
    fl_base64_encode(&enc, big, sizeof big);
    CHECK_INT("300000 bytes -> 400000 base64 characters", (long long)enc.len, 400000);
    CHECK_INT("400000 base64 characters -> accepted", fl_base64_decode(&dec, enc.data, enc.len), 1);
    CHECK_MEM("400000 base64 characters -> the same 300000 bytes", dec.data, dec.len, (const char *)big, sizeof big);
    fl_buf_free(&enc);
    fl_buf_free(&dec);
}

int main(void)
{
    test_vectors();
    test_decoder();
    test_binary();
    return check_finish("test_base64");
}
