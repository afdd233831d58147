/* fetch.c - one outbound HTTP(S) transfer on a libcurl easy handle (see fetch.h). */
#include "fetch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"

int fl_fetch_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void fl_fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    fl_fetch *f = ud;
    size_t len = size * n;
    if (f->body.len + len > f->max_body) {
        f->too_large = 1;
        return 0; /* aborts the transfer: the body is refused, not buffered */
    }
    if (f->quota) {
        size_t cap = atomic_load_explicit(&f->quota->cap, memory_order_relaxed);
        size_t held = atomic_fetch_add(&f->quota->held, len) + len;
        if (cap && held > cap) {
            atomic_fetch_sub(&f->quota->held, len);
            f->too_large = f->over_quota = 1;
            return 0;
        }
        f->counted += len;
    }
    fl_buf_add(&f->body, p, len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    fl_fetch *f = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
        fl_buf_reset(&f->head); /* a new response (after a redirect or a 100 Continue) */
    if (f->head.len + len > FL_FETCH_MAX_HEAD) {
        f->too_large = 1;
        return 0;
    }
    fl_buf_add(&f->head, p, len);
    return len;
}

/* The proxy for the URL's scheme, as curl and most tools read it; curl itself
 * ignores upper-case HTTP_PROXY, which many platforms set. */
static const char *proxy_for(const char *url)
{
    const char *v = NULL;
    if (strncasecmp(url, "https:", 6) == 0) {
        v = getenv("https_proxy");
        if (!v || !*v)
            v = getenv("HTTPS_PROXY");
    } else {
        v = getenv("http_proxy");
        if (!v || !*v)
            v = getenv("HTTP_PROXY");
    }
    return v && *v ? v : NULL;
}

static const char *no_proxy(void)
{
    const char *v = getenv("no_proxy");
    if (!v || !*v)
        v = getenv("NO_PROXY");
    return v && *v ? v : NULL;
}

/* "host[:port]" of an http(s) URL, for error messages: a plain scan, no
 * allocation (libcurl itself parses the URL when the transfer starts). */
static void remember_host(fl_fetch *f, const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (n >= sizeof f->host)
        n = sizeof f->host - 1;
    memcpy(f->host, p, n);
    f->host[n] = '\0';
}

int fl_fetch_init(fl_fetch *f, const fl_fetch_opts *o, CURL *reuse, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->headers = o->headers;
    f->max_body = o->max_body ? o->max_body : FL_FETCH_MAX_BODY_DEFAULT;
    f->quota = o->quota;
    remember_host(f, o->url);
    if (!f->host[0]) {
        snprintf(err, errlen, "invalid URL '%.200s'", o->url);
        return -1;
    }
    f->result = FL_FETCH_CANCELLED; /* until it ends */
    snprintf(f->error, sizeof f->error, "cancelled: the call to %s did not run to its end", f->host);
    f->easy = reuse ? reuse : curl_easy_init();
    if (!f->easy) {
        snprintf(err, errlen, "cannot start a transfer: out of memory");
        return -1;
    }
    CURL *e = f->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, f);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_setopt(e, CURLOPT_URL, o->url) != CURLE_OK) {
        snprintf(err, errlen, "invalid URL '%.200s'", o->url);
        return -1;
    }
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    const char *m = o->method ? o->method : "GET";
    if (strcmp(m, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    }
    if (o->body) {
        fl_buf_add(&f->req_body, o->body, o->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, f->req_body.data ? f->req_body.data : "");
        if (strcmp(m, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    }
    /* curl adds "Expect: 100-continue" to large bodies: a round trip lost */
    f->headers = curl_slist_append(f->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* what this libcurl can decode */
    if (strcmp(m, "HEAD") != 0)                       /* a HEAD's Content-Length announces no body */
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_body);
    if (o->redirects > 0) {
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->redirects);
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->verify ? 2L : 0L);
    const char *ca = getenv("FNLUA_CA_FILE");
    if (ca && *ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    const char *proxy = proxy_for(o->url);
    if (proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, proxy);
    const char *np = no_proxy();
    if (np)
        curl_easy_setopt(e, CURLOPT_NOPROXY, np);

    /* the call never outlives its invocation */
    double t = o->timeout_s;
    if (o->deadline > 0) {
        double left = o->deadline - fl_now();
        if (left < t) {
            t = left;
            f->deadline_cut = 1;
        }
    }
    long ms = t > 0 ? (long)ceil(t * 1000.0) : 1;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
    return 0;
}

void fl_fetch_finished(fl_fetch *f, CURLcode code)
{
    const char *h = f->host[0] ? f->host : "?";
    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
    f->result = FL_FETCH_OK;
    f->error[0] = '\0';
    if (code == CURLE_OK)
        return;
    const char *why = curl_easy_strerror(code);
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        f->result = f->deadline_cut ? FL_FETCH_DEADLINE : FL_FETCH_TIMEOUT;
        snprintf(f->error, sizeof f->error, "timeout: %s did not answer in time", h);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        f->result = FL_FETCH_DNS;
        snprintf(f->error, sizeof f->error, "dns: cannot resolve %s", h);
        break;
    case CURLE_COULDNT_RESOLVE_PROXY:
        f->result = FL_FETCH_DNS;
        snprintf(f->error, sizeof f->error, "dns: cannot resolve the proxy for %s", h);
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        f->result = FL_FETCH_CONNECT;
        snprintf(f->error, sizeof f->error, "connect: %s: %s", h, why);
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
        f->result = FL_FETCH_TLS;
        snprintf(f->error, sizeof f->error, "tls: %s: %s", h, why);
        break;
    case CURLE_FILESIZE_EXCEEDED:
        f->result = FL_FETCH_TOO_LARGE;
        snprintf(f->error, sizeof f->error, "too large: the response from %s is over max_body (%zu bytes)", h,
                 f->max_body);
        break;
    case CURLE_WRITE_ERROR:
        if (f->too_large) {
            f->result = FL_FETCH_TOO_LARGE;
            if (f->over_quota)
                snprintf(f->error, sizeof f->error,
                         "too large: the response from %s would take the responses held at once in this Lua state "
                         "past its memory budget (%zu MB)",
                         h, atomic_load(&f->quota->cap) >> 20);
            else if (f->head.len >= FL_FETCH_MAX_HEAD)
                snprintf(f->error, sizeof f->error, "too large: the response headers from %s are over %zu bytes", h,
                         FL_FETCH_MAX_HEAD);
            else
                snprintf(f->error, sizeof f->error, "too large: the response from %s is over max_body (%zu bytes)", h,
                         f->max_body);
            break;
        }
        /* fall through */
    default:
        if (f->too_large) {
            f->result = FL_FETCH_TOO_LARGE;
            snprintf(f->error, sizeof f->error, "too large: the response headers from %s are over %zu bytes", h,
                     FL_FETCH_MAX_HEAD);
        } else {
            f->result = FL_FETCH_PROTOCOL;
            snprintf(f->error, sizeof f->error, "protocol: %s: %s", h, why);
        }
    }
}

void fl_fetch_run(fl_fetch **fs, size_t n)
{
    CURLM *m = curl_multi_init();
    if (!m) {
        for (size_t i = 0; i < n; i++)
            fl_fetch_finished(fs[i], CURLE_OUT_OF_MEMORY);
        return;
    }
    for (size_t i = 0; i < n; i++)
        curl_multi_add_handle(m, fs[i]->easy);
    int running = 1;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        fl_fetch *f = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        if (f)
            fl_fetch_finished(f, msg->data.result);
    }
    for (size_t i = 0; i < n; i++)
        curl_multi_remove_handle(m, fs[i]->easy);
    curl_multi_cleanup(m);
}

CURL *fl_fetch_detach(fl_fetch *f)
{
    CURL *e = f->easy;
    f->easy = NULL;
    return e;
}

void fl_fetch_free(fl_fetch *f)
{
    if (f->quota && f->counted)
        atomic_fetch_sub(&f->quota->held, f->counted);
    f->counted = 0;
    if (f->easy)
        curl_easy_cleanup(f->easy);
    f->easy = NULL;
    curl_slist_free_all(f->headers);
    f->headers = NULL;
    fl_buf_free(&f->req_body);
    fl_buf_free(&f->head);
    fl_buf_free(&f->body);
}
