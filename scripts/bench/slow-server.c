/* The server of bench row 4b: HTTP/1.1 keep-alive on 127.0.0.1:PORT, answering every request
 * with a small JSON document DELAY_MS after it arrived, except GET /__count, which answers at
 * once with the number of delayed requests served so far (the benchmark's correctness check).
 *
 *   cc -O2 -o slow-server slow-server.c && ./slow-server PORT DELAY_MS
 *
 * One thread, epoll, and one timerfd armed (absolute, CLOCK_MONOTONIC) at the earliest
 * deadline: the delay is the same for every request, so deadlines come in arrival order and a
 * FIFO holds them. An answer leaves within microseconds of its deadline, where the Python
 * server (slow-server.py, the fallback without a C compiler) overshoots by a millisecond or
 * more on a busy machine: the row's bound is concurrency ÷ delay, and the server should not
 * be what keeps a client from it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 4096
#define QUEUE 65536

static const char body[] = "{\"stars\": 42, \"language\": \"Swift\"}";
static char reply[256];
static int reply_length;

struct conn { char buffer[8192]; int used; int open; unsigned generation; };
static struct conn conns[MAX_FD];
struct pending { int fd; unsigned generation; struct timespec due; };
static struct pending queue[QUEUE];
static int head, tail;
static long served;

static void add_ms(struct timespec *t, long ms) {
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) { t->tv_sec++; t->tv_nsec -= 1000000000L; }
}

static void arm(int timer) {
    struct itimerspec spec = {0};
    if (head != tail) spec.it_value = queue[head].due;  /* zero disarms */
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, NULL);
}

static void send_all(int fd, const char *data, int length) {
    while (length > 0) {
        ssize_t n = write(fd, data, (size_t)length);
        if (n < 0) { if (errno == EINTR) continue; return; }  /* a closed peer: drop the answer */
        data += n; length -= (int)n;
    }
}

static void close_conn(int epoll, int fd) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    conns[fd].open = 0;
    conns[fd].used = 0;
    conns[fd].generation++;
}

/* Parses the complete requests in the connection's buffer; schedules or answers each. */
static void parse(int fd, long delay_ms) {
    struct conn *c = &conns[fd];
    for (;;) {
        char *end = memmem(c->buffer, (size_t)c->used, "\r\n\r\n", 4);
        if (!end) return;
        int head_length = (int)(end - c->buffer) + 4;
        long content = 0;
        for (char *line = memmem(c->buffer, (size_t)(end - c->buffer), "\r\n", 2); line && line < end;
             line = memmem(line + 2, (size_t)(end + 2 - (line + 2)), "\r\n", 2)) {
            if (end - line > 17 && strncasecmp(line + 2, "content-length:", 15) == 0) content = strtol(line + 17, NULL, 10);
        }
        if (c->used < head_length + content) return;
        int is_count = strncmp(c->buffer, "GET /__count ", 13) == 0;
        memmove(c->buffer, c->buffer + head_length + content, (size_t)(c->used - head_length - content));
        c->used -= head_length + (int)content;
        if (is_count) {
            char text[128], number[32];
            int n = snprintf(number, sizeof number, "%ld", served);
            int length = snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", n, number);
            send_all(fd, text, length);
        } else if ((tail + 1) % QUEUE != head) {
            struct pending *p = &queue[tail];
            p->fd = fd;
            p->generation = c->generation;
            clock_gettime(CLOCK_MONOTONIC, &p->due);
            add_ms(&p->due, delay_ms);
            tail = (tail + 1) % QUEUE;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s PORT DELAY_MS\n", argv[0]); return 64; }
    int port = atoi(argv[1]);
    long delay_ms = atol(argv[2]);
    reply_length = snprintf(reply, sizeof reply,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: keep-alive\r\n\r\n%s",
        strlen(body), body);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 1024) < 0) {
        perror("slow-server: bind/listen");
        return 69;
    }
    prctl(PR_SET_TIMERSLACK, 1UL);  /* wake at the deadline, not up to 50 µs after */
    int epoll = epoll_create1(0);
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event event = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    event.data.fd = timer;
    epoll_ctl(epoll, EPOLL_CTL_ADD, timer, &event);

    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(epoll, events, 256, -1);
        if (ready < 0) { if (errno == EINTR) continue; perror("slow-server: epoll_wait"); return 70; }
        int was_empty = head == tail;
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAX_FD) { close(client); continue; }
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[client].open = 1;
                    conns[client].used = 0;
                    struct epoll_event e = { .events = EPOLLIN, .data.fd = client };
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &e);
                }
            } else if (fd == timer) {
                unsigned long long expirations;
                (void)!read(timer, &expirations, sizeof expirations);
            } else {
                struct conn *c = &conns[fd];
                ssize_t n = read(fd, c->buffer + c->used, sizeof c->buffer - (size_t)c->used);
                if (n <= 0) {
                    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                    close_conn(epoll, fd);
                    continue;
                }
                c->used += (int)n;
                parse(fd, delay_ms);
                if (c->used == (int)sizeof c->buffer) close_conn(epoll, fd);  /* a head too long */
            }
        }
        /* Answer everything due. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int answered = 0;
        while (head != tail) {
            struct pending *p = &queue[head];
            if (p->due.tv_sec > now.tv_sec || (p->due.tv_sec == now.tv_sec && p->due.tv_nsec > now.tv_nsec)) break;
            if (conns[p->fd].open && conns[p->fd].generation == p->generation) {
                served++;
                send_all(p->fd, reply, reply_length);
            }
            head = (head + 1) % QUEUE;
            answered = 1;
        }
        if (answered || was_empty) arm(timer);
    }
}
