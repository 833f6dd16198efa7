/* The plain libcurl reference of bench row 4a: N GET requests of /repos/oI/nI against BASE
 * through one curl multi handle, CONCURRENCY transfers in flight, each easy handle reused for
 * the next request (connections kept alive), bodies discarded. What Baton's http stage does
 * per item, minus Baton: no queue, no templates, no JSON, no commit.
 *
 *   cc -O2 -o curlloop curlloop.c -lcurl && ./curlloop http://127.0.0.1:PORT N CONCURRENCY
 *
 * Prints "requests_per_second failed" on one line; exits 1 if any request did not answer 200. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *data, size_t size, size_t count, void *bytes) {
    (void)data;
    *(size_t *)bytes += size * count;
    return size * count;
}

static void aim(CURL *easy, const char *base, long index) {
    char url[512];
    snprintf(url, sizeof url, "%s/repos/o%ld/n%ld", base, index, index);
    curl_easy_setopt(easy, CURLOPT_URL, url);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s BASE_URL N CONCURRENCY\n", argv[0]);
        return 64;
    }
    const char *base = argv[1];
    long total = atol(argv[2]);
    int concurrency = atoi(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    size_t bytes = 0;
    long started = 0, finished = 0, failed = 0;
    struct timespec begin, end;
    clock_gettime(CLOCK_MONOTONIC, &begin);
    for (int i = 0; i < concurrency && started < total; i++) {
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &bytes);
        aim(easy, base, started++);
        curl_multi_add_handle(multi, easy);
    }
    while (finished < total) {
        int running, queued;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        while ((message = curl_multi_info_read(multi, &queued))) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (message->data.result != CURLE_OK || status != 200) failed++;
            finished++;
            curl_multi_remove_handle(multi, easy);
            if (started < total) {
                aim(easy, base, started++);
                curl_multi_add_handle(multi, easy);
            } else {
                curl_easy_cleanup(easy);
            }
        }
        if (finished < total) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - begin.tv_sec) + (double)(end.tv_nsec - begin.tv_nsec) / 1e9;
    printf("%.0f %ld\n", (double)total / seconds, failed);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
