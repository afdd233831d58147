/* convert.c - data crossing the C <-> Lua boundary (see convert.h). */
#include "convert.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "base64.h"
#include "hlist.h"
#include "json.h"

/* ---------------------------------------------------------------- into Lua */

void fl_convert_event_to_lua(lua_State *L, const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i == len) {
        lua_newtable(L);
        return;
    }
    fl_json_decode(L, body, len);
}

/* Stack: [t] -> [t]; t[lower(name)] = value, or "old, value" when repeated. */
static void set_lower(lua_State *L, const char *name, size_t nlen, const char *value, size_t vlen)
{
    char small[128];
    luaL_Buffer lb;
    if (nlen < sizeof small) {
        for (size_t i = 0; i < nlen; i++)
            small[i] = (char)tolower((unsigned char)name[i]);
        lua_pushlstring(L, small, nlen);
    } else {
        char *p = luaL_buffinitsize(L, &lb, nlen);
        for (size_t i = 0; i < nlen; i++)
            p[i] = (char)tolower((unsigned char)name[i]);
        luaL_pushresultsize(&lb, nlen);
    }
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) {
        lua_pushliteral(L, ", ");
        lua_pushlstring(L, value, vlen);
        lua_concat(L, 3);
    } else {
        lua_pop(L, 1);
        lua_pushlstring(L, value, vlen);
    }
    lua_rawset(L, -3);
}

void fl_convert_headers_to_lua(lua_State *L, const fl_header *h, size_t n)
{
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++)
        set_lower(L, h[i].name, h[i].name_len, h[i].value, h[i].value_len);
}

void fl_convert_http_to_lua(lua_State *L, const fl_request *req)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, req->method ? req->method : "GET");
    lua_setfield(L, -2, "httpMethod");

    /* path with repeated slashes collapsed (the platform may send "//path") */
    const char *p = req->path ? req->path : "/";
    luaL_Buffer lb;
    luaL_buffinit(L, &lb);
    if (*p != '/')
        luaL_addchar(&lb, '/');
    for (; *p; p++)
        if (!(*p == '/' && p[1] == '/'))
            luaL_addchar(&lb, *p);
    luaL_pushresult(&lb);
    lua_setfield(L, -2, "path");

    /* query: a string per key; a repeated key becomes an array of its values */
    lua_createtable(L, 0, (int)req->n_query);
    for (size_t i = 0; i < req->n_query; i++) {
        const fl_header *q = &req->query[i];
        lua_pushlstring(L, q->name, q->name_len);
        lua_pushvalue(L, -1);
        int t = lua_rawget(L, -3);
        if (t == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushlstring(L, q->value ? q->value : "", q->value ? q->value_len : 0);
        } else if (t == LUA_TSTRING) {
            lua_createtable(L, 2, 0);
            lua_insert(L, -2);
            lua_rawseti(L, -2, 1);
            lua_pushlstring(L, q->value ? q->value : "", q->value ? q->value_len : 0);
            lua_rawseti(L, -2, 2);
        } else {
            lua_pushlstring(L, q->value ? q->value : "", q->value ? q->value_len : 0);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        }
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "queryStringParameters");

    fl_convert_headers_to_lua(L, req->headers, req->n_headers);
    lua_setfield(L, -2, "headers");
    lua_newtable(L);
    lua_setfield(L, -2, "pathParameters");

    int b64 = !fl_utf8_valid(req->body, req->body_len);
    if (b64) {
        fl_buf tmp;
        fl_buf_init(&tmp);
        fl_base64_encode(&tmp, (const unsigned char *)req->body, req->body_len);
        lua_pushlstring(L, tmp.data ? tmp.data : "", tmp.len);
        fl_buf_free(&tmp);
    } else {
        lua_pushlstring(L, req->body ? req->body : "", req->body_len);
    }
    lua_setfield(L, -2, "body");
    lua_pushboolean(L, b64);
    lua_setfield(L, -2, "isBase64Encoded");
}

/* ---------------------------------------------------------------- out of Lua */

/* RFC 9110 §5.6.2 tchar: a header name is one or more of these. */
static int is_token(const char *s, size_t n)
{
    static const char punct[] = "!#$%&'*+-.^_`|~";
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr(punct, c))))
            return 0;
    }
    return 1;
}

/* RFC 9110 §5.5: no control bytes in a field value but HTAB (CR and LF would
 * split the response, NUL ends it early in many clients). */
static int has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return 1;
    }
    return 0;
}

/* Scalar as header text; raises for other types. */
static void add_header_value(lua_State *L, fl_envelope *env, const char *name, size_t nl, int vidx)
{
    size_t vl;
    const char *v;
    char num[48];
    fl_buf nb = {num, 0, sizeof num};
    switch (lua_type(L, vidx)) {
    case LUA_TNUMBER:
        /* exact, as in JSON bodies (tostring would write 14 digits) */
        if (lua_isinteger(L, vidx))
            fl_json_integer(&nb, lua_tointeger(L, vidx));
        else if (!fl_json_float(&nb, lua_tonumber(L, vidx)))
            luaL_error(L, "cannot encode header '%s': NaN or infinite number", name);
        lua_pushlstring(L, nb.data, nb.len);
        v = lua_tolstring(L, -1, &vl);
        break;
    case LUA_TSTRING:
    case LUA_TBOOLEAN:
        v = luaL_tolstring(L, vidx, &vl);
        break;
    default:
        luaL_error(L,
                   "cannot encode header '%s': value of type %s (use a string, number, boolean "
                   "or an array of them)",
                   name, luaL_typename(L, vidx));
        return;
    }
    if (has_control(v, vl))
        luaL_error(L,
                   "cannot encode header '%s': the value contains a control character (CR, LF, NUL or another "
                   "byte below 0x20 but tab, or DEL)",
                   name);
    fl_hlist_add(&env->headers, name, nl, v, vl);
    lua_pop(L, 1);
}

static void convert_headers(lua_State *L, int idx, fl_envelope *env)
{
    if (lua_isnil(L, idx))
        return;
    if (!lua_istable(L, idx))
        luaL_error(L, "cannot encode headers: expected a table, got %s", luaL_typename(L, idx));
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "cannot encode headers: header names must be strings, got %s", luaL_typename(L, -2));
        size_t nl;
        const char *name = lua_tolstring(L, -2, &nl);
        if (!is_token(name, nl))
            luaL_error(L,
                       "cannot encode header name '%s': a header name is letters, digits and "
                       "!#$%%&'*+-.^_`|~ only (RFC 9110 token)",
                       name);
        int v = lua_gettop(L);
        if (lua_istable(L, v)) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, v);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, v, i);
                add_header_value(L, env, name, nl, lua_gettop(L));
                lua_pop(L, 1);
            }
        } else {
            add_header_value(L, env, name, nl, v);
        }
        lua_pop(L, 1);
    }
}

/* body -> env->body; tables become JSON, invalid UTF-8 becomes base64. */
static void convert_body(lua_State *L, int idx, fl_envelope *env, int passthrough)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (n > FL_RESULT_MAX) {
            /* encoding only grows it: refuse before any C buffer grows with it */
            env->too_large = n;
            break;
        }
        if (passthrough || fl_utf8_valid(s, n)) {
            fl_buf_add(&env->body, s, n);
        } else {
            fl_base64_encode(&env->body, (const unsigned char *)s, n);
            env->is_base64 = 1;
        }
        break;
    }
    case LUA_TTABLE:
        fl_json_encode(L, idx, &env->body);
        if (env->body.len > FL_RESULT_MAX) {
            env->too_large = env->body.len;
            fl_buf_reset(&env->body);
            fl_buf_shrink(&env->body, 1 << 20);
            break;
        }
        if (!fl_hlist_has(&env->headers, "Content-Type"))
            fl_hlist_add(&env->headers, "Content-Type", 12, "application/json", 16);
        break;
    case LUA_TNUMBER:
    case LUA_TBOOLEAN:
        fl_json_encode(L, idx, &env->body);
        break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL)
            break; /* cjson.null: no body, like nil */
        /* fall through */
    default:
        luaL_error(L, "cannot encode body: value of type %s (return a string, a table, a number or nil)",
                   luaL_typename(L, idx));
    }
}

void fl_convert_result_to_envelope(lua_State *L, int idx, fl_envelope *env)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "result conversion");
    env->status = 200;
    env->is_base64 = 0;
    env->too_large = 0;
    fl_buf_reset(&env->headers);
    fl_buf_reset(&env->body);
    int top = lua_gettop(L);

    if (lua_type(L, idx) != LUA_TTABLE) {
        convert_body(L, idx, env, 0);
        lua_settop(L, top);
        return;
    }
    int t_status = lua_getfield(L, idx, "statusCode");
    int t_body = lua_getfield(L, idx, "body");
    if (t_status == LUA_TNIL && t_body == LUA_TNIL) {
        /* any other table: the table itself is the JSON body */
        lua_settop(L, top);
        convert_body(L, idx, env, 0);
        return;
    }
    int s = top + 1, b = top + 2;
    if (t_status != LUA_TNIL) {
        int isnum = 0;
        lua_Number n = lua_tonumberx(L, s, &isnum);
        /* range first: no UB cast.  1xx would be sent as an interim answer and
         * the client would take the next response on the connection for this one */
        if (!isnum || !(n >= 200 && n <= 599) || n != (lua_Number)(int)n)
            luaL_error(L, "cannot encode statusCode %s: expected an integer from 200 to 599",
                       luaL_tolstring(L, s, NULL));
        env->status = (int)n;
    }
    lua_getfield(L, idx, "headers");
    convert_headers(L, lua_gettop(L), env);
    if (env->headers.len > FL_RESPONSE_HEADERS_MAX)
        luaL_error(L, "cannot encode headers: %d bytes of them, over the limit of %d", (int)env->headers.len,
                   FL_RESPONSE_HEADERS_MAX);
    lua_getfield(L, idx, "isBase64Encoded");
    int passthrough = lua_toboolean(L, -1);
    if (passthrough) {
        if (t_body != LUA_TSTRING && t_body != LUA_TNIL)
            luaL_error(L, "cannot encode body: isBase64Encoded is true, so body must be a base64 string, got %s",
                       luaL_typename(L, b));
        env->is_base64 = 1;
    }
    convert_body(L, b, env, passthrough);
    lua_settop(L, top);
}
