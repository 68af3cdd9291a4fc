/* The floor of any SA under umad2sim: one thread that receives an SA request through libibumad and sends it
   straight back as its response, with no SA work. Whatever an SM's process spends per answer beyond this is
   its own; this much every libibumad program pays (umad2sim's reader thread, the hand-over to the caller,
   one socket write). Built and run by Benchmarks/sa-ibsim.sh. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <infiniband/umad.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    if (umad_init() < 0) { fprintf(stderr, "no-work-responder: umad_init failed\n"); return 1; }
    int port = umad_open_port(NULL, 0);
    if (port < 0) { fprintf(stderr, "no-work-responder: umad_open_port failed\n"); return 1; }
    long methods[2] = {0, 0};
    const int wanted[] = {0x01, 0x02, 0x12, 0x14, 0x15}; /* Get, Set, GetTable, GetMulti, Delete */
    for (unsigned i = 0; i < sizeof wanted / sizeof *wanted; i++) methods[wanted[i] / 64] |= 1L << (wanted[i] % 64);
    /* umad2sim crashes on a MAD of a class nobody registered: the SMP classes too (the SM polls IsSM ports). */
    int agent = -1;
    if (umad_register(port, 0x01, 1, 0, NULL) < 0 || umad_register(port, 0x81, 1, 0, NULL) < 0
        || (agent = umad_register(port, 0x03, 2, 1, methods)) < 0) {
        fprintf(stderr, "no-work-responder: umad_register failed\n");
        return 1;
    }
    /* IsSM, only now that every class has an agent: ibsim hands QP1 requests only to an IsSM client. */
    char issm[256];
    if (umad_get_issm_path(NULL, 0, issm, sizeof issm) < 0 || open(issm, O_RDWR) < 0) {
        fprintf(stderr, "no-work-responder: cannot open the issm device\n");
        return 1;
    }
    void *buffer = calloc(1, umad_size() + 256);
    fprintf(stderr, "no-work-responder: responding\n");
    for (;;) {
        int length = 256;
        /* A finite timeout: umad2sim's wait without one is not what any SM uses. */
        if (umad_recv(port, buffer, &length, 1000) < 0) continue;
        unsigned char *mad = umad_get_mad(buffer);
        if (mad[1] != 0x03 || (mad[3] & 0x80)) continue; /* SA requests only */
        struct ib_user_mad *received = buffer;
        mad[3] |= 0x80;
        umad_set_addr(buffer, ntohs(received->addr.lid), ntohl(received->addr.qpn), received->addr.sl, 0x80010000);
        umad_send(port, agent, buffer, 256, 0, 0);
    }
}
