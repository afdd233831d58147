/* curl-probe - the outbound-call stack of the image, without fnlua.
 *
 * Uses what fnlua.http and fnlua.crypto use: libcurl's multi interface over
 * HTTPS (CA bundle, proxy settings from the environment), mbed TLS's X.509
 * parser, SHA-256/HMAC and its DRBG.  image/test links it the way the image
 * links fnlua and runs it inside the image's root file system; docs/deploy.md
 * links it to measure what the stack adds to a binary.
 *
 *   curl-probe [URL]   prints one line per fact; with URL, fetches it (a host
 *                      that does not resolve is fine: the point is to watch
 *                      the lookup) and reports the most threads seen meanwhile.
 * Exit status 0 when it ran; the caller judges the facts.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <string.h>

#define CA_FILE "/etc/ssl/certs/ca-certificates.crt"

static int threads(void) /* tasks of this process, from /proc */
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

int main(int argc, char **argv)
{
    curl_version_info_data *v;
    CURL *easy;
    char *cainfo = NULL, *capath = NULL;
    const char *const *proto;
    mbedtls_x509_crt crt;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    unsigned char mac[32], rnd[16];
    int r, n = 0;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    v = curl_version_info(CURLVERSION_NOW);
    printf("libcurl %s\nssl %s\nares %s\n", v->version, v->ssl_version ? v->ssl_version : "none",
           v->ares ? v->ares : "none");
    printf("asynchdns %d\nthreadsafe %d\nhttps-proxy %d\n", !!(v->features & CURL_VERSION_ASYNCHDNS),
           !!(v->features & CURL_VERSION_THREADSAFE), !!(v->features & CURL_VERSION_HTTPS_PROXY));
    printf("protocols");
    for (proto = v->protocols; *proto; proto++)
        printf(" %s", *proto);
    printf("\n");

    easy = curl_easy_init();
    curl_easy_getinfo(easy, CURLINFO_CAINFO, &cainfo);
    curl_easy_getinfo(easy, CURLINFO_CAPATH, &capath);
    printf("cainfo %s\ncapath %s\n", cainfo ? cainfo : "none", capath ? capath : "none");

    mbedtls_x509_crt_init(&crt);
    r = mbedtls_x509_crt_parse_file(&crt, CA_FILE);
    for (mbedtls_x509_crt *c = &crt; c && c->version; c = c->next)
        n++;
    printf("ca-certs %d\nca-rejected %d\n", n, r);   /* r < 0: unreadable; > 0: certs mbed TLS refused */
    mbedtls_x509_crt_free(&crt);

    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)"key", 3,
                    (const unsigned char *)"The quick brown fox jumps over the lazy dog", 43, mac);
    printf("hmac-sha256 ");
    for (int i = 0; i < 4; i++)
        printf("%02x", mac[i]);
    printf("\n");
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
    if (r == 0)
        r = mbedtls_ctr_drbg_random(&drbg, rnd, sizeof rnd);
    printf("random %s\n", r == 0 ? "ok" : "failed");
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);

    if (argc > 1) {
        CURLM *multi = curl_multi_init();
        CURLMsg *msg;
        int running = 1, left, most = threads();
        CURLcode res = CURLE_OK;
        curl_easy_setopt(easy, CURLOPT_URL, argv[1]);
        curl_easy_setopt(easy, CURLOPT_CAINFO, CA_FILE);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 3000L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_multi_add_handle(multi, easy);
        while (running) {
            curl_multi_perform(multi, &running);
            if (threads() > most)
                most = threads();
            if (running)
                curl_multi_poll(multi, NULL, 0, 50, NULL);
        }
        while ((msg = curl_multi_info_read(multi, &left)))
            if (msg->msg == CURLMSG_DONE)
                res = msg->data.result;
        printf("transfer %s\nthreads %d\n", curl_easy_strerror(res), most);
        curl_multi_remove_handle(multi, easy);
        curl_multi_cleanup(multi);
    }
    curl_easy_cleanup(easy);
    curl_global_cleanup();
    return 0;
}
