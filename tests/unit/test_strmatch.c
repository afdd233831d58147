/*
 * test_strmatch.c - lstrlib_match.c against the standard library's own
 * string.find, string.match, string.gmatch and string.gsub, and its
 * deadline.
 *
 * Differential: one plain state keeps the standard functions in a table
 * `ref` before fl_strmatch_openstate replaces them in `string`; every case
 * (globals `ref` and `new`) runs through both and compares everything they return (type and value of
 * every result, every gmatch iteration, the error message when they raise).
 * The corpus: hand-picked patterns (every pattern item, class, anchor,
 * capture kind and error message) against a set of subjects, with several
 * init values, the plain flag and every kind of gsub replacement; then
 * random patterns and subjects over a small alphabet from a seeded PRNG,
 * so every run is the same.  A mismatch prints the case and both answers.
 *
 * Deadline: in a state with fl_limits_alloc, catastrophic matches stop at
 * the deadline (a pcall around them cannot swallow it) or at cancellation.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "check.h"
#include "limit.h"
#include "lstrlib_match.h"
#include "request.h"

/* ---------------------------------------------------------------- the differential driver */

/* Runs op through impl with (s, p, x, y) and describes all it returned.
 * For gsub an integer x picks a replacement from `repls`. */
static const char driver[] =
    "local ref, new = ref, new\n"
    "local function show(r)\n"
    "  local out = {}\n"
    "  for i = 1, r.n do\n"
    "    local v = r[i]\n"
    "    if type(v) == 'string' then out[i] = string.format('%q', v)\n"
    "    elseif type(v) == 'number' then out[i] = math.type(v) .. ':' .. tostring(v)\n"
    "    else out[i] = tostring(v) end\n"
    "  end\n"
    "  return r.n .. '[' .. table.concat(out, ',') .. ']'\n"
    "end\n"
    "local odd = 0\n"
    "local repls = {\n"
    "  function(...) return '<' .. show(table.pack(...)) .. '>' end,\n"
    "  function(c) if type(c) == 'string' and #c % 2 == 0 then return nil end return 7 end,\n"
    "  function() return {} end,\n"
    "  { a = 'A', b = false, ab = 1.5, x = true, [1] = 'one', [2] = 'two', ['1'] = 'str1' },\n"
    "  42,\n"
    "  nil,\n"
    "  function(...) odd = odd + 1; if odd % 2 == 0 then return false end return select('#', ...) end,\n"
    "  function(c) return c end,\n"
    "}\n"
    "local function run(impl, op, s, p, x, y)\n"
    "  local out = {}\n"
    "  odd = 0\n"
    "  if op == 'gsub' and math.type(x) == 'integer' then x = repls[x] end\n"
    "  local ok, err = pcall(function()\n"
    "    local f = impl[op]\n"
    "    if op == 'gmatch' then\n"
    "      local it = f(s, p, x)\n"
    "      for _ = 1, 300 do\n"
    "        local r = table.pack(it())\n"
    "        out[#out + 1] = show(r)\n"
    "        if r.n == 0 then break end\n"
    "      end\n"
    "    else\n"
    "      local r = table.pack(f(s, p, x, y))\n"
    "      out[#out + 1] = show(r)\n"
    "    end\n"
    "  end)\n"
    "  if not ok then out[#out + 1] = 'error: ' .. tostring(err) end\n"
    "  return table.concat(out, ' | ')\n"
    "end\n"
    "return function(op, s, p, x, y)\n"
    "  return run(ref, op, s, p, x, y), run(new, op, s, p, x, y)\n"
    "end\n";

static lua_State *L;
static int compare_ref; /* registry ref of the function the driver returns */
static long cases, mismatches;
static long raised, failed; /* cases where the standard function raised, or found nothing */
static const char *corpus = "?";

static void print_arg(const char *name, const char *s, size_t n)
{
    fprintf(stderr, "    %s ", name);
    check_print_bytes(s, n);
    fputc('\n', stderr);
}

/* One case: op with subject s, pattern p, and x, y (strings with xs/ys
 * bytes, or integers when xs is (size_t)-1 / ys (size_t)-1 with the value
 * in xi / yi; NULL strings pass nil). */
typedef struct arg {
    const char *s;
    size_t len;
    lua_Integer i;
    int kind; /* 0 nil, 1 string, 2 integer, 3 boolean */
} arg;

static const arg NIL = {NULL, 0, 0, 0};

static arg INT(lua_Integer i)
{
    arg a = {NULL, 0, i, 2};
    return a;
}

static arg STR(const char *s)
{
    arg a = {s, strlen(s), 0, 1};
    return a;
}

static arg BOOL(int b)
{
    arg a = {NULL, 0, b, 3};
    return a;
}

static void push_arg(arg a)
{
    switch (a.kind) {
    case 1:
        lua_pushlstring(L, a.s, a.len);
        break;
    case 2:
        lua_pushinteger(L, a.i);
        break;
    case 3:
        lua_pushboolean(L, (int)a.i);
        break;
    default:
        lua_pushnil(L);
    }
}

static void describe_arg(const char *name, arg a)
{
    if (a.kind == 1)
        print_arg(name, a.s, a.len);
    else if (a.kind == 2)
        fprintf(stderr, "    %s %lld\n", name, (long long)a.i);
    else if (a.kind == 3)
        fprintf(stderr, "    %s %s\n", name, a.i ? "true" : "false");
}

static void compare(const char *op, const char *s, size_t ls, const char *p, size_t lp, arg x, arg y)
{
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, compare_ref);
    lua_pushstring(L, op);
    lua_pushlstring(L, s, ls);
    lua_pushlstring(L, p, lp);
    push_arg(x);
    push_arg(y);
    cases++;
    if (lua_pcall(L, 5, 2, 0) != LUA_OK) {
        fprintf(stderr, "driver failed: %s\n", lua_tostring(L, -1));
        mismatches++;
        check_record(0, __FILE__, __LINE__, "differential driver runs");
        lua_settop(L, top);
        return;
    }
    size_t lr, ln;
    const char *r = lua_tolstring(L, -2, &lr);
    const char *n = lua_tolstring(L, -1, &ln);
    if (lr >= 6 && memcmp(r, "error:", 6) == 0)
        raised++;
    else if (strcmp(r, "1[nil]") == 0 || strcmp(r, "0[]") == 0)
        failed++;
    if (lr != ln || memcmp(r, n, lr) != 0) {
        mismatches++;
        if (mismatches <= 40) {
            fprintf(stderr, "MISMATCH (%s) string.%s\n", corpus, op);
            print_arg("subject ", s, ls);
            print_arg("pattern ", p, lp);
            describe_arg("arg 3   ", x);
            describe_arg("arg 4   ", y);
            print_arg("standard", r, lr);
            print_arg("fnlua   ", n, ln);
        }
    }
    lua_settop(L, top);
}

/* Every function, several init values, plain, and each replacement kind. */
static void compare_all(const char *s, size_t ls, const char *p, size_t lp)
{
    static const lua_Integer inits[] = {1, 2, -1, -3, 0, 4, 100};
    static const char *const repl_strings[] = {
        "[%0]", "%1-%2", "<%1>", "%%", "x", "", "%", "%a", "%3", "a%9b", "%0%0",
    };
    compare("find", s, ls, p, lp, NIL, NIL);
    compare("match", s, ls, p, lp, NIL, NIL);
    compare("gmatch", s, ls, p, lp, NIL, NIL);
    for (size_t i = 0; i < sizeof inits / sizeof *inits; i++) {
        compare("find", s, ls, p, lp, INT(inits[i]), NIL);
        compare("match", s, ls, p, lp, INT(inits[i]), NIL);
        compare("gmatch", s, ls, p, lp, INT(inits[i]), NIL);
    }
    compare("find", s, ls, p, lp, NIL, BOOL(1));
    compare("find", s, ls, p, lp, INT(2), BOOL(1));
    compare("find", s, ls, p, lp, INT(-2), BOOL(0));
    for (size_t i = 0; i < sizeof repl_strings / sizeof *repl_strings; i++)
        compare("gsub", s, ls, p, lp, STR(repl_strings[i]), NIL);
    for (lua_Integer k = 1; k <= 8; k++)
        compare("gsub", s, ls, p, lp, INT(k), NIL);
    compare("gsub", s, ls, p, lp, STR("(%0)"), INT(1));
    compare("gsub", s, ls, p, lp, STR("(%0)"), INT(0));
    compare("gsub", s, ls, p, lp, STR("(%0)"), INT(-1));
    compare("gsub", s, ls, p, lp, INT(1), INT(2));
}

/* The subjects the hand-picked patterns run against. */
static const struct {
    const char *s;
    size_t len;
} subjects[] = {
#define S(lit)                                                                                                         \
    {                                                                                                                  \
        lit, sizeof lit - 1                                                                                            \
    }
    S(""),
    S("a"),
    S("abc"),
    S("hello world"),
    S("  padded  "),
    S("x = 10, y = 20"),
    S("THE (quick) fox"),
    S("f(a(b)c)d"),
    S("[[x]] ]["),
    S("key=val; k2=v2"),
    S("aaa"),
    S("abab"),
    S("abcabc"),
    S("a.b-c+d*e?f"),
    S("100% ^$"),
    S("%%a%"),
    S("\0a\0b"),
    S("tab\tnl\n\r\v\f end"),
    S("caf\xc3\xa9 \xff\x80\x7f"),
    S("0x1F ff 9g"),
    S("((())) (()"),
    S("a,b,,c,"),
    S("THE END."),
    S("CamelCaseWord_42"),
    S("  \t "),
#undef S
};

/* Hand-picked patterns: every item, class, set form, anchor, capture kind
 * and error message of the reference manual's §6.4.1 and lstrlib. */
static const char *const patterns[] = {
    /* plain text (find's fast path) and specials taken literally */
    "",
    "a",
    "abc",
    "world",
    "o w",
    "zzz",
    "ab",
    "c,",
    ",,",
    "]",
    "}",
    "=",
    "\\",
    /* single character classes */
    ".",
    "..",
    "...",
    "%a",
    "%c",
    "%d",
    "%g",
    "%l",
    "%p",
    "%s",
    "%u",
    "%w",
    "%x",
    "%A",
    "%C",
    "%D",
    "%G",
    "%L",
    "%P",
    "%S",
    "%U",
    "%W",
    "%X",
    "%.",
    "%%",
    "%-",
    "%(",
    "%)",
    "%[",
    "%]",
    "%^",
    "%$",
    "%*",
    "%+",
    "%?",
    "%z",
    "%Z",
    "%_",
    "%,",
    "% ",
    "%\xc3",
    /* sets */
    "[abc]",
    "[^abc]",
    "[a-c]",
    "[^a-c]",
    "[%a_]",
    "[%d%s]",
    "[^%s]",
    "[]]",
    "[^]]",
    "[]a]",
    "[a-]",
    "[-a]",
    "[a-%d]",
    "[%a-z]",
    "[.]",
    "[%]]",
    "[%%]",
    "[^^]",
    "[\\]",
    "[a-a]",
    "[c-a]",
    "[%w_]+",
    "[^%w_]+",
    "[%p]+",
    "[\xc3\xa9]",
    "[\x80-\xff]+",
    "[%z]",
    "[-]",
    "[--/]",
    "[a%-z]",
    "[%a-]",
    "[a-c-e]",
    /* repetitions */
    "a*",
    "a+",
    "a-",
    "a?",
    ".*",
    ".+",
    ".-",
    ".?",
    "%a+",
    "%s*",
    "%d+",
    "%w*",
    "[abc]*",
    "b*c",
    "a-b",
    "a?b",
    "a?a?a",
    "x*",
    "x+",
    "x-",
    "x?",
    "%s*$",
    ".-$",
    "a*$",
    "%a-%d",
    ".-b",
    ".-c$",
    "(.-)%s",
    "a-a-a-b",
    "*",
    "+",
    "-",
    "?",
    "a**",
    "a*+",
    "a-?",
    "a?-",
    "**a",
    "+a",
    "-a",
    "?a",
    /* anchors */
    "^",
    "$",
    "^$",
    "^a",
    "^abc",
    "^.",
    "^%s*",
    "^%s*(.-)%s*$",
    "a$",
    "c$",
    "$a",
    "a$b",
    "^^",
    "^$$",
    "^%a+$",
    "^(%a+)",
    "^.-$",
    "%s+$",
    "x$",
    "^x",
    "^*",
    "^+",
    "^-",
    "^?",
    /* captures */
    "(a)",
    "(a)(b)",
    "(a(b)c)",
    "()",
    "()a()",
    "(a)()",
    "(%a+)",
    "(%a+)%s*=%s*(%w+)",
    "((a)(b))",
    "(.)(.)",
    "()(.)",
    "(%a*)",
    "(.-)",
    "(.-)$",
    "(.*)",
    "(.-)(.-)",
    "(h)(e)(l)(l)(o)",
    "(%w+)=(%w+)",
    "(())",
    "(()a)",
    "a()",
    "()$",
    "^()",
    "(a*(.)%w(%s*))",
    "(a)|(b)",
    "(",
    "(a",
    "a(",
    "(()",
    ")",
    "a)",
    "())",
    "(a))",
    "((a)",
    "(a)(",
    "()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()",
    "()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()",
    /* back-references */
    "(a)%1",
    "(.)%1",
    "(%a+)%s*%1",
    "(a)(b)%2%1",
    "(.)(.)%2%1",
    "()%1",
    "(a)%2",
    "%1",
    "%0",
    "(a%1)",
    "(a)%9",
    "(.-)%1",
    "(%a)%1*",
    "(%a)%1+",
    "(%a)%1-",
    "(%a)%1?",
    "%1a",
    "(a)%0",
    "((a)%1)",
    "((a)%2)",
    /* balance */
    "%b()",
    "%b[]",
    "%bxy",
    "%b",
    "%b(",
    "%b))",
    "%baa",
    "%b()x",
    "(%b())",
    "%b()*",
    "%b()+",
    "f%b()",
    "%b()$",
    "%b-+",
    "%b%%",
    /* frontier */
    "%f[%a]",
    "%f[%A]",
    "%f[%w]%w+",
    "%f[%W]",
    "%f[%a]%a+%f[%A]",
    "%f[a]",
    "%f[^a]",
    "%f[%z]",
    "%f[%s]",
    "%f",
    "%fa",
    "%f[",
    "%f[a",
    "%f[]]",
    "%f[%d]%d+",
    "%f[^%s]",
    "%f[%u]%u+%f[%U]",
    "%f[%a]*",
    /* malformed */
    "%",
    "a%",
    "[",
    "[a",
    "[^",
    "[]",
    "[^]",
    "[%",
    "[a%",
    "[%]",
    "%[a",
    "(%",
    "%f[%",
    "[a-",
    "a[",
    /* mixtures */
    "%s*(%S+)%s*",
    "(%w+)%s*(%p?)",
    "^(%s*)(.-)(%s*)$",
    "%.",
    "%.%.",
    "%a+%.?",
    "[%w%.]+",
    "(%d+)%%",
    "([^,]*)",
    "([^,]*),",
    ",?([^,]*)",
    "%s*([^;]+)",
    "(%w+)=(%w+);?%s*",
    "^%[%[(.-)%]%]",
    "%[(.-)%]",
    "0x(%x+)",
    "(%x%x)",
    "(%u)(%l*)",
    "%u%l+",
    "[%u%d]+",
    "%c+",
    "[\t\n]",
    "(%C+)",
    ".-()",
    "()..-()",
    "a.-b.-c",
    "(a+)(b?)",
    "(.?)(.?)(.?)",
    "[^%s%p]+",
    "%f[%w](%w+)%f[%W]",
    "([%a_][%w_]*)",
    "%((.-)%)",
    "(%((%a)%))",
    "%z",
    "\xff",
    "[\xff]",
    "%x*$",
};

/* ---------------------------------------------------------------- random patterns */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static const char *pick(const char *const *v, size_t n)
{
    return v[rng() % n];
}

/* A pattern of up to 6 items from a small alphabet, often well formed,
 * sometimes not; with captures, back-references, %b, %f and anchors. */
static size_t random_pattern(char *out, size_t cap)
{
    static const char *const atoms[] = {
        "a",    "b",    "c",     ".",      "%a",     "%d",     "%s",   "%S",  "%w", "[ab]", "[^a]", "[a-c]", "[%d_]",
        "[]]",  "%(",   " ",     "1",      "_",      "%%",     "[b-]", "%W",  "(",  ")",    "()",   "%1",    "%2",
        "%b()", "%bab", "%f[a]", "%f[%W]", "%f[%s]", "$",      "^",    "[",   "%",  "]",    "-",    "*",     "?",
        "+",    "%0",   "%b",    "%f",     "[%a-]",  "[^%s]+", "(a)",  "(.)", "%z", "[^]",
    };
    static const char *const quants[] = {"", "", "", "*", "+", "-", "?"};
    size_t n = 0;
    if (rng() % 5 == 0)
        out[n++] = '^';
    int items = (int)(rng() % 7);
    for (int i = 0; i < items; i++) {
        const char *a = pick(atoms, sizeof atoms / sizeof *atoms);
        const char *q = pick(quants, sizeof quants / sizeof *quants);
        size_t la = strlen(a), lq = strlen(q);
        if (n + la + lq + 2 >= cap)
            break;
        memcpy(out + n, a, la);
        n += la;
        memcpy(out + n, q, lq);
        n += lq;
    }
    if (rng() % 6 == 0)
        out[n++] = '$';
    return n;
}

static size_t random_subject(char *out)
{
    static const char alphabet[] = "aabbc() 1_a\0";
    size_t n = rng() % 11;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rng() % (sizeof alphabet - 1)];
    return n;
}

static void random_corpus(int patterns_n, int subjects_each)
{
    char p[128], s[16];
    for (int i = 0; i < patterns_n; i++) {
        size_t lp = random_pattern(p, sizeof p);
        for (int j = 0; j < subjects_each; j++) {
            size_t ls = random_subject(s);
            compare("find", s, ls, p, lp, NIL, NIL);
            compare("find", s, ls, p, lp, INT((lua_Integer)(rng() % 13) - 6), NIL);
            compare("match", s, ls, p, lp, NIL, NIL);
            compare("gmatch", s, ls, p, lp, NIL, NIL);
            compare("gmatch", s, ls, p, lp, INT((lua_Integer)(rng() % 13) - 6), NIL);
            compare("gsub", s, ls, p, lp, STR("<%0>"), NIL);
            compare("gsub", s, ls, p, lp, STR("%1"), INT(2));
            compare("gsub", s, ls, p, lp, INT(1), NIL);
            compare("gsub", s, ls, p, lp, INT(4), NIL);
        }
    }
}

/* ---------------------------------------------------------------- the differential tests */

static void open_differential(void)
{
    L = luaL_newstate();
    luaL_openlibs(L);
    /* ref = the standard functions, before they are replaced */
    lua_newtable(L);
    lua_getglobal(L, "string");
    const char *const names[] = {"find", "match", "gmatch", "gsub"};
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, -1, names[i]);
        lua_setfield(L, -3, names[i]);
    }
    lua_pop(L, 1);
    fl_strmatch_openstate(L);
    lua_getglobal(L, "string"); /* new = string, with fnlua's functions */
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, -1, names[i]);
        lua_getfield(L, -3, names[i]);
        CHECK("fl_strmatch_openstate -> string.find/match/gmatch/gsub replaced", !lua_rawequal(L, -1, -2));
        lua_pop(L, 2);
    }
    lua_setglobal(L, "new");
    lua_setglobal(L, "ref");
    if (luaL_loadstring(L, driver) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "driver: %s\n", lua_tostring(L, -1));
        exit(2);
    }
    compare_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

static void test_hand_picked(void)
{
    corpus = "hand-picked";
    long before = mismatches;
    size_t np = sizeof patterns / sizeof *patterns, ns = sizeof subjects / sizeof *subjects;
    for (size_t i = 0; i < np; i++) {
        size_t lp = strlen(patterns[i]); /* patterns with NULs: test_special_cases */
        for (size_t j = 0; j < ns; j++)
            compare_all(subjects[j].s, subjects[j].len, patterns[i], lp);
    }
    CHECK_INT("hand-picked patterns x subjects -> standard and fnlua agree (mismatches)", mismatches - before, 0);
}

/* Patterns with NUL bytes, and the ones that need a long subject. */
static void test_special_cases(void)
{
    corpus = "special";
    long before = mismatches;
    static const struct {
        const char *p;
        size_t len;
    } nul_patterns[] = {
        {"\0", 1},     {"a\0b", 3}, {"(\0)", 3},       {"[\0]", 3}, {"[^\0]+", 5}, {"%b\0\0", 4},
        {"%f[\0]", 5}, {"\0*", 2},  {"[a\0-\x01]", 6}, {"%", 1},    {"a\0%", 3},   {"[\0", 2},
    };
    for (size_t i = 0; i < sizeof nul_patterns / sizeof *nul_patterns; i++)
        for (size_t j = 0; j < sizeof subjects / sizeof *subjects; j++)
            compare_all(subjects[j].s, subjects[j].len, nul_patterns[i].p, nul_patterns[i].len);

    /* recursion depth: "pattern too complex" past 200 nested items */
    char p[1024], s[512];
    for (int n = 190; n <= 210; n += 5) {
        size_t lp = 0;
        for (int i = 0; i < n; i++) {
            p[lp++] = 'a';
            p[lp++] = '?';
        }
        memset(s, 'a', (size_t)n);
        compare("match", s, (size_t)n, p, lp, NIL, NIL);
        compare("find", s, (size_t)n, p, lp, NIL, NIL);
        compare("gsub", s, (size_t)n, p, lp, STR("x"), NIL);
        /* "(a)" repeated: captures past 32 */
        lp = 0;
        for (int i = 0; i < n / 6; i++) {
            memcpy(p + lp, "(a)", 3);
            lp += 3;
        }
        compare("match", s, (size_t)n, p, lp, NIL, NIL);
    }
    /* long subjects: max_expand and min_expand over 300 bytes, %b nesting */
    for (int i = 0; i < 300; i++)
        s[i] = "( a)b"[i % 5];
    const char *const long_patterns[] = {"%b()", "(.*)b", "(.-)b", "a.-b$", "%s*(.-)%s*$", "[^%(]+", "(%b())%s*"};
    for (size_t i = 0; i < sizeof long_patterns / sizeof *long_patterns; i++)
        compare_all(s, 300, long_patterns[i], strlen(long_patterns[i]));
    /* plain find of needles on both sides of 64 bytes, found and not, at the end */
    for (int i = 0; i < 300; i++)
        s[i] = "abcab"[i % 5];
    for (size_t lp = 60; lp <= 70; lp++) {
        compare_all(s, 300, s + 100, lp);
        compare_all(s, 300, s + 300 - lp, lp);
        memcpy(p, s + 100, lp);
        p[lp - 1] = 'x';
        compare_all(s, 300, p, lp);
    }
    /* a subject of NULs and a pattern with %z */
    memset(s, 0, 20);
    compare_all(s, 20, "%z+", 3);
    compare_all(s, 20, "[%z]", 4);
    /* argument errors and conversions: integers as subject and pattern, float init */
    static const char *const lua_cases[] = {
        "return ref.find(12345, 3) == new.find(12345, 3)",
        "return select('#', ref.find('abc', 'b', 1.0)) == select('#', new.find('abc', 'b', 1.0))",
        "local function e(f) return select(2, pcall(function() return f('abc', 'b', 1.5) end)) end"
        " return e(ref.find) == e(new.find) and e(ref.find):find('integer representation', 1, true)",
        "local a = {pcall(ref.gsub, 'abc', 'b')} local b = {pcall(new.gsub, 'abc', 'b')}"
        " return a[1] == b[1] and a[1] == false",
        "return ref.gsub('abc', 'b', 5) == new.gsub('abc', 'b', 5)",
        "return ref.gsub('abc', 'b', 5.5) == new.gsub('abc', 'b', 5.5)",
        "return ref.gsub('abc', '%w', '%0%0', 2.0) == new.gsub('abc', '%w', '%0%0', 2.0)",
        "return select(2, ref.gsub('abc', '', '-')) == select(2, new.gsub('abc', '', '-'))",
        "local a = {pcall(ref.match)} local b = {pcall(new.match)} return a[1] == b[1]",
        "local n = 0 for a, b in new.gmatch('k=v, x=y', '(%w+)=(%w+)') do n = n + #a + #b end return n == 4",
        "local s = ('x'):rep(10) local it = new.gmatch(s, 'x') s = nil collectgarbage() collectgarbage()"
        " local n = 0 while it() do n = n + 1 end return n == 10",
        "local co = coroutine.wrap(function() local it = new.gmatch('abc', '.') coroutine.yield(it) end)"
        " local it = co() return it() == 'a' and it() == 'b' and it() == 'c' and it() == nil",
        "local t = {} for k in ('a b c'):gmatch('%a') do t[#t + 1] = k end return table.concat(t) == 'abc'",
        "return ('hello'):find('l') == 3 and ('hello'):match('(h)(e)') == 'h'",
        "return new.gsub('abc', '%w', function(c) return new.gsub(c, '.', '%0%0') end) == 'aabbcc'",
    };
    for (size_t i = 0; i < sizeof lua_cases / sizeof *lua_cases; i++) {
        if (luaL_loadstring(L, lua_cases[i]) != LUA_OK) {
            CHECK(lua_cases[i], 0);
            continue;
        }
        int ok = lua_pcall(L, 0, 1, 0) == LUA_OK && lua_toboolean(L, -1);
        if (!ok)
            fprintf(stderr, "    %s\n", lua_tostring(L, -1));
        CHECK(lua_cases[i], ok);
        lua_settop(L, 0);
    }
    CHECK_INT("patterns with NUL, deep recursion, long subjects -> standard and fnlua agree (mismatches)",
              mismatches - before, 0);
}

static void test_random(void)
{
    corpus = "random";
    long before = mismatches;
    random_corpus(6000, 4);
    CHECK_INT("random patterns x random subjects -> standard and fnlua agree (mismatches)", mismatches - before, 0);
}

/* ---------------------------------------------------------------- the deadline */

static void watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "test_strmatch: FAIL: watchdog fired, a match did not stop at its deadline\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(1);
    _exit(1);
}

/* Runs code in a state with fl_limits_alloc under a deadline after `in`
 * seconds (0: none) and the cancel flag; returns the outcome's text. */
static char outcome[512];
static double took;

static const char *run_limited(const char *code, double in, atomic_int *cancel)
{
    fl_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.cancel = cancel;
    lua_State *S = lua_newstate(fl_limits_alloc, &lim);
    luaL_openlibs(S);
    fl_strmatch_openstate(S);
    double start = fl_now();
    fl_limits_begin(S, &lim, 0, in > 0 ? start + in : 0);
    int rc = luaL_loadstring(S, code);
    if (rc == LUA_OK)
        rc = lua_pcall(S, 0, 1, 0);
    took = fl_now() - start;
    fl_limits_end(S, &lim);
    snprintf(outcome, sizeof outcome, "%s%s", rc == LUA_OK ? "" : "error: ", lua_tostring(S, -1));
    lua_close(S);
    return outcome;
}

/* trimming is quadratic when a long run of spaces is followed by more text:
 * the standard match takes 29 s on this one */
#define TRIMMED "local s = 'x' .. (' '):rep(80 * 1024) .. 'x' "
#define SPACES  "local s = (' '):rep(80 * 1024) "

static void test_deadline(void)
{
    signal(SIGALRM, watchdog);
    alarm(60);
    static const struct {
        const char *name, *code;
    } stuck[] = {
        {"match ^%s*(.-)%s*$ on x, 80 KB of spaces, x -> stops at the deadline",
         TRIMMED "return tostring(s:match('^%s*(.-)%s*$'))"},
        {"same match inside pcall, then code after it -> the timeout is not swallowed",
         TRIMMED "local ok = pcall(string.match, s, '^%s*(.-)%s*$') for i = 1, 10 do end return 'went on'"},
        {"gsub with a catastrophic pattern -> stops at the deadline", SPACES "return (s:gsub('%s*x', ''))"},
        {"gmatch with a catastrophic pattern -> stops at the deadline",
         SPACES "for w in s:gmatch('.-.-x') do end return 'done'"},
        {"find with nested lazy items -> stops at the deadline", SPACES "return tostring(s:find('.-.-.-x'))"},
        {"%b over a long unbalanced subject at every position -> stops at the deadline",
         "local s = ('('):rep(200000) return tostring(s:find('%b()'))"},
        {"gsub with a function repl and a catastrophic pattern -> stops at the deadline",
         SPACES "return (s:gsub('%s-x', function() return '' end))"},
    };
    for (size_t i = 0; i < sizeof stuck / sizeof *stuck; i++) {
        const char *got = run_limited(stuck[i].code, 0.3, NULL);
        CHECK_CONTAINS(stuck[i].name, got, "invocation timed out");
        CHECK(stuck[i].name, took < 1.0);
    }
    atomic_int cancel = 1;
    CHECK_CONTAINS("trim of 80 KB of spaces with the cancel flag set -> invocation cancelled",
                   run_limited(TRIMMED "return tostring(s:match('^%s*(.-)%s*$'))", 0, &cancel), "invocation cancelled");
    CHECK_STR("trim of a short string under a deadline -> its result",
              run_limited("return ('  x y  '):match('^%s*(.-)%s*$')", 5, NULL), "x y");
    CHECK_STR("trim of 4000 spaces around a word without a deadline -> finishes with its result",
              run_limited("local s = (' '):rep(2000) .. 'w' .. (' '):rep(2000) "
                          "return s:match('^%s*(.-)%s*$') .. select(2, s:gsub('%s', ''))",
                          0, NULL),
              "w4000");
    alarm(0);
}

int main(void)
{
    open_differential();
    test_hand_picked();
    test_special_cases();
    test_random();
    printf("test_strmatch: %ld cases compared (%ld matched, %ld found nothing, %ld raised), %ld mismatches\n", cases,
           cases - failed - raised, failed, raised, mismatches);
    lua_close(L);
    test_deadline();
    return check_finish("test_strmatch");
}
