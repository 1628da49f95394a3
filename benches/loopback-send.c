// The cost of one send on loopback TCP on this machine, with no server around it: N connected
// pairs, a thread draining the receiving ends with epoll, and the main thread writing M bytes to
// each sending end, R rounds 50 ms apart. Prints the mean and best time per send. BENCHMARKS.md
// ("Where the time goes") quotes it as the floor under any live server here.
//
//   gcc -O2 -pthread -Wall -o /tmp/loopback-send benches/loopback-send.c
//   /tmp/loopback-send 1000 2048 30
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int n_pairs;
static int *senders, *receivers;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *drain(void *unused) {
    (void)unused;
    int ep = epoll_create1(0);
    for (int i = 0; i < n_pairs; i++) {
        struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.fd = receivers[i]};
        fcntl(receivers[i], F_SETFL, O_NONBLOCK);
        epoll_ctl(ep, EPOLL_CTL_ADD, receivers[i], &e);
    }
    static char buf[65536];
    struct epoll_event ready[256];
    for (;;) {
        int n = epoll_wait(ep, ready, 256, -1);
        for (int i = 0; i < n; i++)
            while (read(ready[i].data.fd, buf, sizeof buf) > 0) {
            }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PAIRS BYTES ROUNDS\n", argv[0]);
        return 2;
    }
    n_pairs = atoi(argv[1]);
    int bytes = atoi(argv[2]), rounds = atoi(argv[3]), one = 1;
    senders = calloc(n_pairs, sizeof(int));
    receivers = calloc(n_pairs, sizeof(int));
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(19999),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (void *)&addr, sizeof addr) || listen(listener, 4096)) {
        perror("listen on 127.0.0.1:19999");
        return 1;
    }
    for (int i = 0; i < n_pairs; i++) {
        receivers[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(receivers[i], (void *)&addr, sizeof addr)) {
            perror("connect");
            return 1;
        }
        senders[i] = accept(listener, NULL, NULL);
        setsockopt(senders[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    pthread_t reader;
    pthread_create(&reader, NULL, drain, NULL);
    char *message = malloc(bytes);
    memset(message, 'x', bytes);
    usleep(100000);
    double best = 1e9, total = 0;
    for (int r = 0; r < rounds; r++) {
        double start = now();
        for (int i = 0; i < n_pairs; i++)
            send(senders[i], message, bytes, 0);
        double took = now() - start;
        total += took;
        if (took < best)
            best = took;
        usleep(50000);
    }
    printf("%d sockets, %d bytes: per send mean %.2f us, best round %.2f us\n", n_pairs, bytes,
           total / rounds / n_pairs * 1e6, best / n_pairs * 1e6);
    return 0;
}
