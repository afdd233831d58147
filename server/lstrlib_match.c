/*
 * lstrlib_match.c - Lua 5.4's pattern matching (string.find, string.match,
 * string.gmatch, string.gsub), written for fnlua so that a backtracking
 * match on untrusted input stops at the invocation's deadline.
 *
 * Owns the matcher and the four Lua functions built on it (see
 * lstrlib_match.h).  The semantics, results and error messages are those of
 * the standard library's; tests/unit/test_strmatch.c compares the two on a
 * generated corpus.  The one difference: every FL_MATCH_STEPS steps (calls
 * of fl_match, bytes scanned by a repetition, %b, a back-reference or a
 * replacement string) the matcher calls fl_limits_check, which raises the
 * timeout or cancellation when due and re-arms the hook so a pcall cannot
 * swallow it.  It does not yield at the end of a time slice: its C stack
 * cannot be suspended.
 */
#define _GNU_SOURCE /* memmem */
#include "lstrlib_match.h"

#include <ctype.h>
#include <string.h>

#include <lauxlib.h>

#include "limit.h"

#define FL_ESC          '%'
#define FL_SPECIALS     "^$*+?.([%-"
#define FL_MAXCAPTURES  32  /* LUA_MAXCAPTURES */
#define FL_MAXDEPTH     200 /* nested fl_match calls before "pattern too complex" */
#define FL_CAP_OPEN     (-1)
#define FL_CAP_POSITION (-2)

typedef struct fl_match_state {
    const char *src;     /* the subject */
    const char *src_end; /* one past its last byte */
    const char *pat_end; /* one past the pattern's last byte */
    lua_State *L;
    fl_limits *limits; /* NULL: the state has no deadline to check */
    int depth_left;    /* nested calls left before "pattern too complex" */
    long steps_left;   /* steps left before the next deadline check */
    int level;         /* captures opened so far */
    struct {
        const char *init;
        ptrdiff_t len; /* or FL_CAP_OPEN, FL_CAP_POSITION */
    } cap[FL_MAXCAPTURES];
} fl_match_state;

static const char *fl_match(fl_match_state *ms, const char *s, const char *p);

/* ---------------------------------------------------------------- the deadline */

/* The steps are used up: check the invocation's deadline and cancellation
 * (fl_limits_check raises when either is due), then start counting again. */
static void fl_match_tick(fl_match_state *ms)
{
    ms->steps_left = FL_MATCH_STEPS;
    fl_limits *lim = ms->limits;
    if (lim && (lim->deadline > 0 || lim->cancel))
        fl_limits_check(ms->L);
}

/* Counts work that scans n bytes; the check itself comes at the next step. */
static inline void fl_match_spend(fl_match_state *ms, size_t n)
{
    ms->steps_left -= (long)(n > FL_MATCH_STEPS ? FL_MATCH_STEPS : n);
}

static void fl_match_init(fl_match_state *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    void *ud;
    ms->L = L;
    ms->limits = lua_getallocf(L, &ud) == fl_limits_alloc ? ud : NULL;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = p + lp;
    ms->steps_left = FL_MATCH_STEPS;
}

/* Before each attempt at a new position of the subject. */
static void fl_match_reset(fl_match_state *ms)
{
    ms->level = 0;
    ms->depth_left = FL_MAXDEPTH;
}

/* ---------------------------------------------------------------- single characters */

static int fl_class_has(int c, int cl)
{
    int in;
    switch (tolower(cl)) {
    case 'a':
        in = isalpha(c);
        break;
    case 'c':
        in = iscntrl(c);
        break;
    case 'd':
        in = isdigit(c);
        break;
    case 'g':
        in = isgraph(c);
        break;
    case 'l':
        in = islower(c);
        break;
    case 'p':
        in = ispunct(c);
        break;
    case 's':
        in = isspace(c);
        break;
    case 'u':
        in = isupper(c);
        break;
    case 'w':
        in = isalnum(c);
        break;
    case 'x':
        in = isxdigit(c);
        break;
    case 'z':
        in = c == 0;
        break; /* deprecated, still in 5.4 */
    default:
        return cl == c; /* %. for any non-alphanumeric . is the character itself */
    }
    if (isupper(cl))
        in = !in;
    return in != 0;
}

/* The pattern byte at p, for p up to pat_end: the pattern is a Lua string,
 * so the byte at pat_end is its terminating NUL and needs no bounds check
 * (an item ending there reads as "no quantifier", as in lstrlib). */
static inline int fl_pat_at(const char *p)
{
    return (unsigned char)*p;
}

/* One past the single-character class starting at p (c, %c, [set], .). */
static const char *fl_class_end(fl_match_state *ms, const char *p)
{
    char c = *p++;
    if (c == FL_ESC) {
        if (p >= ms->pat_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (fl_pat_at(p) == '^')
            p++;
        /* the first character of a set is never its end: "[]]" holds ']' */
        do {
            if (p >= ms->pat_end)
                luaL_error(ms->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == FL_ESC && p < ms->pat_end)
                p++;
        } while (fl_pat_at(p) != ']');
        return p + 1;
    }
    return p;
}

/* Is c in the set [..] from p (at '[') to last (at its ']')? */
static int fl_set_has(int c, const char *p, const char *last)
{
    int want = 1;
    if (p[1] == '^') {
        want = 0;
        p++;
    }
    while (++p < last) {
        if (*p == FL_ESC) {
            p++;
            if (fl_class_has(c, (unsigned char)*p))
                return want;
        } else if (p[1] == '-' && p + 2 < last) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
                return want;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return want;
        }
    }
    return !want;
}

/* Does the subject byte at s match the class from p to ep? */
static int fl_single(const fl_match_state *ms, const char *s, const char *p, const char *ep)
{
    if (s >= ms->src_end)
        return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.':
        return 1;
    case FL_ESC:
        return fl_class_has(c, (unsigned char)p[1]);
    case '[':
        return fl_set_has(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

/* ---------------------------------------------------------------- pattern items */

/* %bxy at p (pointing at x): one past the balanced run at s, or NULL. */
static const char *fl_balance(fl_match_state *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->pat_end)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p)
        return NULL;
    char open = p[0], close = p[1];
    int depth = 1;
    const char *start = s;
    while (++s < ms->src_end) {
        if (*s == close) {
            if (--depth == 0) {
                fl_match_spend(ms, (size_t)(s - start));
                return s + 1;
            }
        } else if (*s == open) {
            depth++;
        }
    }
    fl_match_spend(ms, (size_t)(s - start));
    return NULL;
}

/* x* and x+ (greedy): the longest run first, giving back one at a time. */
static const char *fl_longest(fl_match_state *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t n = 0;
    while (fl_single(ms, s + n, p, ep))
        n++;
    fl_match_spend(ms, (size_t)n);
    for (; n >= 0; n--) {
        const char *r = fl_match(ms, s + n, ep + 1);
        if (r)
            return r;
    }
    return NULL;
}

/* x- (lazy): the shortest run first, taking one more at a time. */
static const char *fl_shortest(fl_match_state *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = fl_match(ms, s, ep + 1);
        if (r)
            return r;
        if (!fl_single(ms, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *fl_capture_open(fl_match_state *ms, const char *s, const char *p, ptrdiff_t what)
{
    int l = ms->level;
    if (l >= FL_MAXCAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->cap[l].init = s;
    ms->cap[l].len = what;
    ms->level = l + 1;
    const char *r = fl_match(ms, s, p);
    if (!r)
        ms->level--; /* undo: the capture was never made */
    return r;
}

static const char *fl_capture_close(fl_match_state *ms, const char *s, const char *p)
{
    int l;
    for (l = ms->level - 1; l >= 0; l--)
        if (ms->cap[l].len == FL_CAP_OPEN)
            break;
    if (l < 0)
        luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = fl_match(ms, s, p);
    if (!r)
        ms->cap[l].len = FL_CAP_OPEN;
    return r;
}

/* The index of the closed capture that %digit names, or raises. */
static int fl_capture_index(fl_match_state *ms, int digit)
{
    int l = digit - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == FL_CAP_OPEN)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    return l;
}

/* %1-%9: the same text as that capture again.  A position capture has no
 * text and never matches. */
static const char *fl_backref(fl_match_state *ms, const char *s, int digit)
{
    int l = fl_capture_index(ms, digit);
    ptrdiff_t len = ms->cap[l].len;
    if (len < 0 || ms->src_end - s < len)
        return NULL;
    fl_match_spend(ms, (size_t)len);
    return memcmp(ms->cap[l].init, s, (size_t)len) == 0 ? s + len : NULL;
}

/* Matches the pattern from p against the subject from s: one past the end
 * of the match, or NULL.  Items that need no backtracking loop here; the
 * rest recurse, at most FL_MAXDEPTH deep. */
static const char *fl_match(fl_match_state *ms, const char *s, const char *p)
{
    if (--ms->steps_left <= 0)
        fl_match_tick(ms);
    if (ms->depth_left-- == 0)
        luaL_error(ms->L, "pattern too complex");
    while (p < ms->pat_end) {
        const char *ep;
        switch (*p) {
        case '(':
            if (fl_pat_at(p + 1) == ')')
                s = fl_capture_open(ms, s, p + 2, FL_CAP_POSITION);
            else
                s = fl_capture_open(ms, s, p + 1, FL_CAP_OPEN);
            goto done;
        case ')':
            s = fl_capture_close(ms, s, p + 1);
            goto done;
        case '$':
            if (p + 1 == ms->pat_end) {
                if (s != ms->src_end)
                    s = NULL;
                goto done;
            }
            goto single; /* '$' elsewhere is itself */
        case FL_ESC:
            switch (fl_pat_at(p + 1)) {
            case 'b':
                s = fl_balance(ms, s, p + 2);
                if (!s)
                    goto done;
                p += 4;
                continue;
            case 'f': {
                p += 2;
                if (fl_pat_at(p) != '[')
                    luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                ep = fl_class_end(ms, p);
                int before = s == ms->src ? '\0' : (unsigned char)s[-1];
                int here = s < ms->src_end ? (unsigned char)*s : '\0';
                if (!fl_set_has(before, p, ep - 1) && fl_set_has(here, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto done;
            }
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
            case '8':
            case '9':
                s = fl_backref(ms, s, fl_pat_at(p + 1));
                if (!s)
                    goto done;
                p += 2;
                continue;
            default:
                goto single;
            }
        default:
        single:
            ep = fl_class_end(ms, p);
            int op = fl_pat_at(ep);
            if (!fl_single(ms, s, p, ep)) {
                if (op == '*' || op == '?' || op == '-') {
                    p = ep + 1; /* zero repetitions */
                    continue;
                }
                s = NULL;
                goto done;
            }
            switch (op) {
            case '?': {
                const char *r = fl_match(ms, s + 1, ep + 1);
                if (r) {
                    s = r;
                    goto done;
                }
                p = ep + 1;
                continue;
            }
            case '+':
                s = fl_longest(ms, s + 1, p, ep);
                goto done;
            case '*':
                s = fl_longest(ms, s, p, ep);
                goto done;
            case '-':
                s = fl_shortest(ms, s, p, ep);
                goto done;
            default:
                s++;
                p = ep;
                continue;
            }
        }
    }
done:
    ms->depth_left++;
    return s;
}

/* ---------------------------------------------------------------- results */

/* Capture i of a match from s to e: its text (*cap, length returned) or
 * FL_CAP_POSITION with the position already pushed.  Without captures,
 * capture 0 is the whole match. */
static ptrdiff_t fl_capture_get(fl_match_state *ms, int i, const char *s, const char *e, const char **cap)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *cap = s;
        return e - s;
    }
    ptrdiff_t len = ms->cap[i].len;
    *cap = ms->cap[i].init;
    if (len == FL_CAP_OPEN)
        luaL_error(ms->L, "unfinished capture");
    if (len == FL_CAP_POSITION)
        lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
    return len;
}

/* Stack: [] -> [capture i] */
static void fl_capture_push(fl_match_state *ms, int i, const char *s, const char *e)
{
    const char *cap;
    ptrdiff_t len = fl_capture_get(ms, i, s, e, &cap);
    if (len != FL_CAP_POSITION)
        lua_pushlstring(ms->L, cap, (size_t)len);
}

/* Stack: [] -> [captures...]; with s NULL (find) no whole-match stand-in.
 * Returns how many were pushed. */
static int fl_captures_push(fl_match_state *ms, const char *s, const char *e)
{
    int n = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        fl_capture_push(ms, i, s, e);
    return n;
}

/* ---------------------------------------------------------------- the Lua functions */

/* A 1-based init, negative from the end, as a 0-based offset (may exceed
 * len by any amount). */
static size_t fl_start_offset(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos - 1;
    if (pos == 0 || pos < -(lua_Integer)len)
        return 0;
    return (size_t)((lua_Integer)len + pos);
}

/* p is a Lua string: NUL-terminated, though it may hold NULs itself. */
static int fl_has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++) {
        i += strcspn(p + i, FL_SPECIALS); /* stops at a special or at a NUL */
        if (i < lp && p[i])
            return 1;
    }
    return 0;
}

/* The first occurrence of p in s, or NULL.  Linear in ls, so it needs no
 * deadline: memchr and memcmp for short needles (faster than memmem's
 * set-up on the short subjects most calls have), memmem for long ones. */
static const char *fl_plain_find(const char *s, size_t ls, const char *p, size_t lp)
{
    if (lp == 0)
        return s;
    if (lp > ls)
        return NULL;
    if (lp > 64)
        return memmem(s, ls, p, lp);
    const char *end = s + (ls - lp) + 1; /* past the last possible start */
    while (s < end) {
        const char *at = memchr(s, *p, (size_t)(end - s));
        if (!at)
            return NULL;
        if (memcmp(at + 1, p + 1, lp - 1) == 0)
            return at;
        s = at + 1;
    }
    return NULL;
}

/* find and match: Stack: [s, p, init, plain] -> [results...] */
static int fl_find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = fl_start_offset(luaL_optinteger(L, 3, 1), ls);
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !fl_has_specials(p, lp))) {
        const char *at = fl_plain_find(s + init, ls - init, p, lp);
        if (at) {
            lua_pushinteger(L, (at - s) + 1);
            lua_pushinteger(L, (lua_Integer)((size_t)(at - s) + lp));
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    fl_match_state ms;
    int anchored = lp > 0 && *p == '^';
    if (anchored) {
        p++;
        lp--;
    }
    fl_match_init(&ms, L, s, ls, p, lp);
    const char *from = s + init;
    do {
        fl_match_reset(&ms);
        const char *e = fl_match(&ms, from, p);
        if (e) {
            if (!find)
                return fl_captures_push(&ms, from, e);
            lua_pushinteger(L, (from - s) + 1);
            lua_pushinteger(L, e - s);
            return fl_captures_push(&ms, NULL, NULL) + 2;
        }
    } while (from++ < ms.src_end && !anchored);
    luaL_pushfail(L);
    return 1;
}

static int fl_str_find(lua_State *L)
{
    return fl_find_or_match(L, 1);
}

static int fl_str_match(lua_State *L)
{
    return fl_find_or_match(L, 0);
}

/* The state of one gmatch iterator, in a userdata upvalue beside the
 * subject and pattern strings, which keep its pointers valid. */
typedef struct fl_gmatch_state {
    fl_match_state ms;
    const char *pat;
    size_t next;            /* offset of the next attempt; past the end when done */
    const char *last_match; /* end of the previous match: an empty match there is skipped */
} fl_gmatch_state;

/* Stack: [] -> [captures of the next match] or [] at the end. */
static int fl_gmatch_next(lua_State *L)
{
    fl_gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
    fl_match_state *ms = &gm->ms;
    ms->L = L; /* the iterator may run in another coroutine than gmatch did */
    size_t len = (size_t)(ms->src_end - ms->src);
    for (; gm->next <= len; gm->next++) {
        const char *from = ms->src + gm->next;
        fl_match_reset(ms);
        const char *e = fl_match(ms, from, gm->pat);
        if (e && e != gm->last_match) {
            gm->next = (size_t)(e - ms->src);
            gm->last_match = e;
            return fl_captures_push(ms, from, e);
        }
    }
    return 0;
}

/* Stack: [s, p, init] -> [iterator] */
static int fl_str_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = fl_start_offset(luaL_optinteger(L, 3, 1), ls);
    lua_settop(L, 2);
    fl_gmatch_state *gm = lua_newuserdatauv(L, sizeof *gm, 0);
    fl_match_init(&gm->ms, L, s, ls, p, lp);
    gm->pat = p;
    gm->next = init > ls ? ls + 1 : init;
    gm->last_match = NULL;
    lua_pushcclosure(L, fl_gmatch_next, 3);
    return 1;
}

/* A string replacement with %0-%9 and %% for the match from s to e.
 * Stack: unchanged (b's own slots aside). */
static void fl_gsub_string(fl_match_state *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l);
    const char *end = r + l;
    fl_match_spend(ms, l);
    for (;;) {
        const char *esc = memchr(r, FL_ESC, (size_t)(end - r));
        if (!esc)
            break;
        luaL_addlstring(b, r, (size_t)(esc - r));
        int c = esc + 1 < end ? (unsigned char)esc[1] : '\0';
        if (c == FL_ESC) {
            luaL_addchar(b, FL_ESC);
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(c)) {
            const char *cap;
            ptrdiff_t len = fl_capture_get(ms, c - '1', s, e, &cap);
            if (len == FL_CAP_POSITION)
                luaL_addvalue(b);
            else
                luaL_addlstring(b, cap, (size_t)len);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", FL_ESC);
        }
        r = esc + 2;
    }
    luaL_addlstring(b, r, (size_t)(end - r));
}

/* Adds the replacement of the match from s to e; returns whether it
 * changed anything.  A function or table may answer false or nil to keep
 * the match.  Stack: unchanged (b's own slots aside). */
static int fl_gsub_add(fl_match_state *ms, luaL_Buffer *b, const char *s, const char *e, int repl_type)
{
    lua_State *L = ms->L;
    if (repl_type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = fl_captures_push(ms, s, e);
        lua_call(L, n, 1);
    } else if (repl_type == LUA_TTABLE) {
        fl_capture_push(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        fl_gsub_string(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

/* Stack: [s, p, repl, n] -> [..., result, count] */
static int fl_str_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int repl_type = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L,
                     repl_type == LUA_TNUMBER || repl_type == LUA_TSTRING || repl_type == LUA_TFUNCTION ||
                         repl_type == LUA_TTABLE,
                     3, "string/function/table");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    int anchored = lp > 0 && *p == '^';
    if (anchored) {
        p++;
        lp--;
    }
    fl_match_state ms;
    fl_match_init(&ms, L, src, ls, p, lp);
    const char *last_match = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_n) {
        fl_match_reset(&ms);
        const char *e = fl_match(&ms, src, p);
        if (e && e != last_match) {
            n++;
            changed |= fl_gsub_add(&ms, &b, src, e, repl_type);
            src = last_match = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchored)
            break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void fl_strmatch_openstate(lua_State *L)
{
    static const luaL_Reg f[] = {
        {"find", fl_str_find}, {"match", fl_str_match}, {"gmatch", fl_str_gmatch}, {"gsub", fl_str_gsub}, {NULL, NULL},
    };
    lua_getglobal(L, "string");
    luaL_setfuncs(L, f, 0);
    lua_pop(L, 1);
}
