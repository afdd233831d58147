/* json.c - JSON text <-> Lua values with exact numbers (see json.h). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

static const char array_mt_key = 'A';
static const char number_mt_key = 'N';

/* Stack: [] -> [metatable of FL_JSON_NUMBER_TEXT numbers]. */
static void push_number_mt(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &number_mt_key) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "number");
    lua_setfield(L, -2, "__jsontype");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &number_mt_key);
}

void fl_json_push_array_mt(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__jsontype");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &array_mt_key);
}

/* ---------------------------------------------------------------- encoding */

/* What fl_json_encode uses: set once, before any thread starts. */
static unsigned default_flags;

void fl_json_set_default_flags(unsigned flags)
{
    default_flags = flags;
}

typedef struct encoder {
    lua_State *L;
    fl_buf *b;
    unsigned flags; /* FL_JSON_SORTED, FL_JSON_PRETTY */
    int depth;
    const void *seen[FL_JSON_MAX_DEPTH + 1]; /* tables on the current path */
    int keyidx[FL_JSON_MAX_DEPTH + 1];       /* stack index of the key at each level, 0 = array */
    lua_Integer arrayi[FL_JSON_MAX_DEPTH + 1];
} encoder;

/* Appends a readable path like  .items[3].name  for error messages. */
static void push_path(encoder *e)
{
    lua_State *L = e->L;
    luaL_Buffer lb;
    luaL_buffinit(L, &lb);
    for (int d = 0; d < e->depth; d++) {
        char tmp[64];
        if (e->keyidx[d] == 0) {
            snprintf(tmp, sizeof tmp, "[%lld]", (long long)e->arrayi[d]);
            luaL_addstring(&lb, tmp);
        } else if (lua_type(L, e->keyidx[d]) == LUA_TSTRING) {
            luaL_addchar(&lb, '.');
            size_t kl;
            const char *k = lua_tolstring(L, e->keyidx[d], &kl);
            luaL_addlstring(&lb, k, kl > 40 ? 40 : kl);
        } else {
            snprintf(tmp, sizeof tmp, "[%s]", luaL_typename(L, e->keyidx[d]));
            if (lua_isinteger(L, e->keyidx[d]))
                snprintf(tmp, sizeof tmp, "[%lld]", (long long)lua_tointeger(L, e->keyidx[d]));
            luaL_addstring(&lb, tmp);
        }
    }
    luaL_pushresult(&lb);
}

static int encode_error(encoder *e, const char *what)
{
    push_path(e);
    size_t n;
    const char *path = lua_tolstring(e->L, -1, &n);
    if (n > 100) /* deep nesting: the end of the path is the useful part */
        return luaL_error(e->L, "cannot encode %s at ...%s", what, path + n - 100);
    return luaL_error(e->L, "cannot encode %s at %s", what, *path ? path : "top level");
}

static void encode_value(encoder *e, int idx);

/* Returns n > 0 when the table at idx is an array 1..n, 0 when empty, -1 otherwise. */
static lua_Integer array_length(lua_State *L, int idx)
{
    lua_Integer max = 0, count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return -1;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k < 1) {
            lua_pop(L, 1);
            return -1;
        }
        if (k > max)
            max = k;
        count++;
    }
    /* Allow a few holes (written as null), but not excessively sparse arrays. */
    if (max > 10 && max > count * 2)
        return -1;
    return max;
}

/* FL_JSON_PRETTY: a new line indented for nesting level d. */
static void newline(encoder *e, int d)
{
    if (!(e->flags & FL_JSON_PRETTY))
        return;
    fl_buf_addc(e->b, '\n');
    for (int i = 0; i < d; i++)
        fl_buf_add(e->b, "  ", 2);
}

/* Stack: unchanged.  The key at kidx as a JSON object key (numbers are
 * written as strings); raises for other types, naming the table. */
static void encode_key(encoder *e, int kidx, int d)
{
    lua_State *L = e->L;
    switch (lua_type(L, kidx)) {
    case LUA_TSTRING: {
        size_t kl;
        const char *k = lua_tolstring(L, kidx, &kl);
        fl_json_quote(e->b, k, kl);
        break;
    }
    case LUA_TNUMBER:
        fl_buf_addc(e->b, '"');
        if (lua_isinteger(L, kidx))
            fl_json_integer(e->b, lua_tointeger(L, kidx));
        else if (!fl_json_float(e->b, lua_tonumber(L, kidx)))
            encode_error(e, "a NaN or infinite table key");
        fl_buf_addc(e->b, '"');
        break;
    default: {
        e->depth = d; /* report the table holding the key */
        lua_pushfstring(L, "a table key of type %s", luaL_typename(L, kidx));
        encode_error(e, lua_tostring(L, -1));
    }
    }
    if (e->flags & FL_JSON_PRETTY)
        fl_buf_add(e->b, ": ", 2);
    else
        fl_buf_addc(e->b, ':');
}

/* The members of the object at idx (level d) in the table's own order. */
static void encode_members(encoder *e, int idx, int d)
{
    lua_State *L = e->L;
    int first = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int kidx = lua_gettop(L) - 1;
        e->keyidx[d] = kidx;
        if (!first)
            fl_buf_addc(e->b, ',');
        first = 0;
        newline(e, d + 1);
        encode_key(e, kidx, d);
        encode_value(e, kidx + 1);
        lua_pop(L, 1);
    }
}

/* A key's JSON text (without quotes) and where the key sits in the keys table. */
typedef struct sorted_key {
    const char *s;
    size_t n;
    int is_number; /* 1 and "1" both write "1": the number comes first */
    lua_Integer pos;
} sorted_key;

static int compare_keys(const void *pa, const void *pb)
{
    const sorted_key *a = pa, *b = pb;
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    if (c)
        return c;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return b->is_number - a->is_number;
}

/* FL_JSON_SORTED: the members of the object at idx (level d) with their
 * keys in byte order of their JSON text (code point order), so the same
 * table always gives the same text.  Stack: unchanged. */
static void encode_members_sorted(encoder *e, int idx, int d)
{
    lua_State *L = e->L;
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n++;
    }
    luaL_checkstack(L, 6, "JSON nesting");
    /* keys[2i-1] = the key, keys[2i] = its text: anchored, so the
     * pointers in the array below stay valid */
    lua_createtable(L, (int)(2 * n), 0);
    int keys = lua_gettop(L);
    sorted_key *order = lua_newuserdatauv(L, (size_t)n * sizeof *order, 0);
    lua_Integer i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int kidx = lua_gettop(L);
        int t = lua_type(L, kidx);
        if (t == LUA_TNUMBER) {
            fl_buf text;
            fl_buf_init(&text);
            if (lua_isinteger(L, kidx))
                fl_json_integer(&text, lua_tointeger(L, kidx));
            else
                fl_json_float(&text, lua_tonumber(L, kidx)); /* inf: refused when written below */
            lua_pushlstring(L, text.data ? text.data : "", text.len);
            fl_buf_free(&text);
        } else {
            lua_pushvalue(L, kidx); /* a string; other types are refused when written below */
        }
        order[i].s = lua_tolstring(L, -1, &order[i].n);
        if (!order[i].s) {
            order[i].s = "";
            order[i].n = 0;
        }
        order[i].is_number = t == LUA_TNUMBER;
        order[i].pos = i;
        lua_rawseti(L, keys, 2 * i + 2);
        lua_pushvalue(L, kidx);
        lua_rawseti(L, keys, 2 * i + 1);
        i++;
    }
    qsort(order, (size_t)i, sizeof *order, compare_keys);
    for (lua_Integer j = 0; j < i; j++) {
        lua_rawgeti(L, keys, 2 * order[j].pos + 1);
        int kidx = lua_gettop(L);
        e->keyidx[d] = kidx;
        lua_pushvalue(L, kidx);
        lua_rawget(L, idx);
        if (j > 0)
            fl_buf_addc(e->b, ',');
        newline(e, d + 1);
        encode_key(e, kidx, d);
        encode_value(e, kidx + 1);
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
}

static void encode_table(encoder *e, int idx)
{
    lua_State *L = e->L;
    const void *p = lua_topointer(L, idx);
    for (int d = 0; d < e->depth; d++)
        if (e->seen[d] == p)
            encode_error(e, "a cyclic table (a table that contains itself)");
    if (e->depth >= FL_JSON_MAX_DEPTH)
        encode_error(e, "a table nested more than " FL_STR_DEPTH " levels deep");
    luaL_checkstack(L, 8, "JSON nesting");

    int is_array_mt = 0;
    if (lua_getmetatable(L, idx)) {
        fl_json_push_array_mt(L);
        is_array_mt = lua_rawequal(L, -1, -2);
        push_number_mt(L);
        int is_number = lua_rawequal(L, -1, -3);
        lua_pop(L, 3);
        if (is_number) { /* a number decoded with FL_JSON_NUMBER_TEXT: its text as it was */
            size_t n = 0;
            lua_rawgeti(L, idx, 1);
            const char *text = lua_tolstring(L, -1, &n);
            fl_buf_add(e->b, text ? text : "null", text ? n : 4);
            lua_pop(L, 1);
            return;
        }
    }
    lua_Integer n = is_array_mt ? (lua_Integer)lua_rawlen(L, idx) : array_length(L, idx);
    int d = e->depth++;
    e->seen[d] = p;
    if (n == 0 && !is_array_mt) {
        fl_buf_add(e->b, "{}", 2);
    } else if (n >= 0) {
        fl_buf_addc(e->b, '[');
        e->keyidx[d] = 0;
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                fl_buf_addc(e->b, ',');
            newline(e, d + 1);
            e->arrayi[d] = i;
            lua_rawgeti(L, idx, i);
            encode_value(e, lua_gettop(L));
            lua_pop(L, 1);
        }
        if (n > 0)
            newline(e, d);
        fl_buf_addc(e->b, ']');
    } else {
        fl_buf_addc(e->b, '{');
        if (e->flags & FL_JSON_SORTED)
            encode_members_sorted(e, idx, d);
        else
            encode_members(e, idx, d);
        newline(e, d);
        fl_buf_addc(e->b, '}');
    }
    e->depth--;
}

static void encode_value(encoder *e, int idx)
{
    lua_State *L = e->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        fl_buf_add(e->b, "null", 4);
        break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx))
            fl_buf_add(e->b, "true", 4);
        else
            fl_buf_add(e->b, "false", 5);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            fl_json_integer(e->b, lua_tointeger(L, idx));
        else if (!fl_json_float(e->b, lua_tonumber(L, idx)))
            encode_error(e, "a NaN or infinite number");
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        fl_json_quote(e->b, s, n);
        break;
    }
    case LUA_TTABLE:
        encode_table(e, idx);
        break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) { /* cjson.null */
            fl_buf_add(e->b, "null", 4);
            break;
        }
        /* fall through */
    default: {
        lua_pushfstring(L, "a %s value", luaL_typename(L, idx));
        encode_error(e, lua_tostring(L, -1));
    }
    }
}

void fl_json_encode_with(lua_State *L, int idx, fl_buf *b, unsigned flags)
{
    encoder e;
    e.L = L;
    e.b = b;
    e.flags = flags;
    e.depth = 0;
    encode_value(&e, lua_absindex(L, idx));
}

void fl_json_encode(lua_State *L, int idx, fl_buf *b)
{
    fl_json_encode_with(L, idx, b, default_flags);
}

/* ---------------------------------------------------------------- decoding */

typedef struct decoder {
    lua_State *L;
    const char *s, *p, *end;
    int depth;
    unsigned flags; /* FL_JSON_NUMBER_TEXT */
} decoder;

static int decode_error(decoder *d, const char *why)
{
    int line = 1, col = 1;
    for (const char *q = d->s; q < d->p && q < d->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return luaL_error(d->L, "invalid JSON at line %d, column %d: %s", line, col, why);
}

static void skip_ws(decoder *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t'))
        d->p++;
}

static long read_hex4(decoder *d)
{
    if (d->end - d->p < 4)
        decode_error(d, "truncated \\u escape");
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = fl_hexdigit((unsigned char)d->p[i]);
        if (h < 0)
            decode_error(d, "bad hex digit in \\u escape");
        v = v * 16 + h;
    }
    d->p += 4;
    return v;
}

static void add_utf8(luaL_Buffer *b, unsigned long cp)
{
    char o[4];
    if (cp < 0x80) {
        luaL_addchar(b, (char)cp);
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        luaL_addlstring(b, o, 2);
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        luaL_addlstring(b, o, 3);
    } else {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        luaL_addlstring(b, o, 4);
    }
}

/* At the opening quote.  Pushes the string. */
static void decode_string(decoder *d)
{
    const char *start = ++d->p;
    /* fast path: no escapes */
    while (d->p < d->end) {
        unsigned char c = (unsigned char)*d->p;
        if (c == '"') {
            lua_pushlstring(d->L, start, (size_t)(d->p - start));
            d->p++;
            return;
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            decode_error(d, "control character in string");
        d->p++;
    }
    /* slow path: escapes; luaL_Buffer keeps the scratch memory owned by Lua,
     * so nothing leaks when a decode error unwinds */
    luaL_Buffer sb;
    luaL_buffinit(d->L, &sb);
    luaL_addlstring(&sb, start, (size_t)(d->p - start));
    while (d->p < d->end) {
        unsigned char c = (unsigned char)*d->p;
        if (c == '"') {
            d->p++;
            luaL_pushresult(&sb);
            return;
        }
        if (c < 0x20)
            decode_error(d, "control character in string");
        if (c != '\\') {
            const char *run = d->p;
            while (d->p < d->end && *d->p != '"' && *d->p != '\\' && (unsigned char)*d->p >= 0x20)
                d->p++;
            luaL_addlstring(&sb, run, (size_t)(d->p - run));
            continue;
        }
        d->p++;
        if (d->p >= d->end)
            break;
        char e = *d->p++;
        switch (e) {
        case '"':
            luaL_addchar(&sb, '"');
            break;
        case '\\':
            luaL_addchar(&sb, '\\');
            break;
        case '/':
            luaL_addchar(&sb, '/');
            break;
        case 'b':
            luaL_addchar(&sb, '\b');
            break;
        case 'f':
            luaL_addchar(&sb, '\f');
            break;
        case 'n':
            luaL_addchar(&sb, '\n');
            break;
        case 'r':
            luaL_addchar(&sb, '\r');
            break;
        case 't':
            luaL_addchar(&sb, '\t');
            break;
        case 'u': {
            unsigned long cp = (unsigned long)read_hex4(d);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (d->end - d->p >= 6 && d->p[0] == '\\' && d->p[1] == 'u') {
                    const char *save = d->p;
                    d->p += 2;
                    unsigned long lo = (unsigned long)read_hex4(d);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        d->p = save;
                        cp = 0xFFFD; /* lone high surrogate */
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* lone low surrogate */
            }
            add_utf8(&sb, cp);
            break;
        }
        default:
            d->p--;
            decode_error(d, "bad escape in string");
        }
    }
    decode_error(d, "unterminated string");
}

static void decode_number(decoder *d)
{
    const char *start = d->p;
    int is_float = 0;
    if (d->p < d->end && *d->p == '-')
        d->p++;
    if (d->p >= d->end || !(*d->p >= '0' && *d->p <= '9'))
        decode_error(d, "bad number");
    if (*d->p == '0') {
        d->p++;
    } else {
        while (d->p < d->end && *d->p >= '0' && *d->p <= '9')
            d->p++;
    }
    if (d->p < d->end && *d->p == '.') {
        is_float = 1;
        d->p++;
        if (d->p >= d->end || !(*d->p >= '0' && *d->p <= '9'))
            decode_error(d, "bad number: digit expected after '.'");
        while (d->p < d->end && *d->p >= '0' && *d->p <= '9')
            d->p++;
    }
    if (d->p < d->end && (*d->p == 'e' || *d->p == 'E')) {
        is_float = 1;
        d->p++;
        if (d->p < d->end && (*d->p == '+' || *d->p == '-'))
            d->p++;
        if (d->p >= d->end || !(*d->p >= '0' && *d->p <= '9'))
            decode_error(d, "bad number: digit expected in exponent");
        while (d->p < d->end && *d->p >= '0' && *d->p <= '9')
            d->p++;
    }
    size_t len = (size_t)(d->p - start);
    if (d->flags & FL_JSON_NUMBER_TEXT) {
        lua_createtable(d->L, 1, 0);
        lua_pushlstring(d->L, start, len);
        lua_rawseti(d->L, -2, 1);
        push_number_mt(d->L);
        lua_setmetatable(d->L, -2);
        return;
    }
    if (!is_float && len <= 17) {
        /* at most 16 digits (+ sign): fits in 64 bits without overflow checks */
        const char *q = start;
        int neg = *q == '-';
        if (neg)
            q++;
        long long v = 0;
        for (; q < d->p; q++)
            v = v * 10 + (*q - '0');
        if (v <= (1LL << 53) && !(neg && v == 0)) { /* "-0" stays the float -0.0 */
            lua_pushinteger(d->L, neg ? -v : v);
            return;
        }
    }
    char tmp[64];
    double v;
    if (len < sizeof tmp) {
        memcpy(tmp, start, len);
        tmp[len] = '\0';
        v = strtod(tmp, NULL);
    } else {
        lua_pushlstring(d->L, start, len); /* NUL-terminated copy owned by Lua */
        v = strtod(lua_tostring(d->L, -1), NULL);
        lua_pop(d->L, 1);
    }
    if (!isfinite(v)) {
        d->p = start;
        decode_error(d, "number out of the range of a double");
    }
    lua_pushnumber(d->L, v);
}

static void decode_value(decoder *d);

/* Tables are created at their final size: the first DECODE_BATCH elements
 * (or members) are decoded onto the stack, counted, and only then put into
 * a table made for them.  Growing a table one key at a time rehashes it at
 * every power of two, which was most of the cost of decoding a small event.
 * Larger arrays and objects continue key by key after the first batch. */
#define DECODE_BATCH 32

/* Stack: [values...] -> [table]: moves the n values (or n key/value pairs)
 * above base into a table created for exactly them. */
static void flush_batch(lua_State *L, int base, int n, int pairs, lua_Integer *next)
{
    if (pairs)
        lua_createtable(L, 0, n);
    else
        lua_createtable(L, n, 0);
    lua_insert(L, base + 1);
    int t = base + 1, first = base + 2;
    for (int i = 0; i < n; i++) {
        if (pairs) {
            lua_pushvalue(L, first + 2 * i);
            lua_pushvalue(L, first + 2 * i + 1);
            lua_rawset(L, t);
        } else {
            lua_pushvalue(L, first + i);
            lua_rawseti(L, t, (*next)++);
        }
    }
    lua_settop(L, t);
}

static void decode_array(decoder *d)
{
    lua_State *L = d->L;
    d->p++;
    skip_ws(d);
    if (d->p < d->end && *d->p == ']') {
        d->p++;
        lua_createtable(L, 0, 0);
        fl_json_push_array_mt(L);
        lua_setmetatable(L, -2);
        return;
    }
    if (!lua_checkstack(L, DECODE_BATCH + 8))
        decode_error(d, "nested too deep for the Lua stack");
    int base = lua_gettop(L), n = 0, have = 0;
    lua_Integer next = 1;
    for (;;) {
        decode_value(d);
        if (have) {
            lua_rawseti(L, base + 1, next++);
        } else if (++n == DECODE_BATCH) {
            flush_batch(L, base, n, 0, &next);
            have = 1;
        }
        skip_ws(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == ']') {
            d->p++;
            if (!have)
                flush_batch(L, base, n, 0, &next);
            return;
        }
        decode_error(d, "expected ',' or ']' in array");
    }
}

static void decode_object(decoder *d)
{
    lua_State *L = d->L;
    d->p++;
    skip_ws(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
        lua_createtable(L, 0, 0);
        return;
    }
    if (!lua_checkstack(L, 2 * DECODE_BATCH + 8))
        decode_error(d, "nested too deep for the Lua stack");
    int base = lua_gettop(L), n = 0, have = 0;
    lua_Integer unused = 0;
    for (;;) {
        skip_ws(d);
        if (d->p >= d->end || *d->p != '"')
            decode_error(d, "expected string key in object");
        decode_string(d);
        skip_ws(d);
        if (d->p >= d->end || *d->p != ':')
            decode_error(d, "expected ':' after object key");
        d->p++;
        decode_value(d);
        if (have) {
            lua_rawset(L, base + 1);
        } else if (++n == DECODE_BATCH) {
            flush_batch(L, base, n, 1, &unused);
            have = 1;
        }
        skip_ws(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == '}') {
            d->p++;
            if (!have)
                flush_batch(L, base, n, 1, &unused);
            return;
        }
        decode_error(d, "expected ',' or '}' in object");
    }
}

static int match_word(decoder *d, const char *w, size_t n)
{
    if ((size_t)(d->end - d->p) >= n && memcmp(d->p, w, n) == 0) {
        d->p += n;
        return 1;
    }
    return 0;
}

static void decode_value(decoder *d)
{
    skip_ws(d);
    if (d->p >= d->end)
        decode_error(d, "unexpected end of input");
    switch (*d->p) {
    case '{':
    case '[':
        if (d->depth >= FL_JSON_MAX_DEPTH)
            decode_error(d, "nested more than " FL_STR_DEPTH " levels deep");
        if (!lua_checkstack(d->L, 4))
            decode_error(d, "nested too deep for the Lua stack");
        d->depth++;
        if (*d->p == '{')
            decode_object(d);
        else
            decode_array(d);
        d->depth--;
        return;
    case '"':
        decode_string(d);
        return;
    case 't':
        if (match_word(d, "true", 4)) {
            lua_pushboolean(d->L, 1);
            return;
        }
        break;
    case 'f':
        if (match_word(d, "false", 5)) {
            lua_pushboolean(d->L, 0);
            return;
        }
        break;
    case 'n':
        if (match_word(d, "null", 4)) {
            lua_pushlightuserdata(d->L, NULL);
            return;
        }
        break;
    default:
        if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9')) {
            decode_number(d);
            return;
        }
    }
    decode_error(d, "unexpected character");
}

void fl_json_decode(lua_State *L, const char *s, size_t len)
{
    fl_json_decode_with(L, s, len, 0);
}

void fl_json_decode_with(lua_State *L, const char *s, size_t len, unsigned flags)
{
    decoder d;
    d.L = L;
    d.s = d.p = s;
    d.end = s + len;
    d.depth = 0;
    d.flags = flags;
    decode_value(&d);
    skip_ws(&d);
    if (d.p != d.end)
        decode_error(&d, "unexpected data after the JSON value");
}
