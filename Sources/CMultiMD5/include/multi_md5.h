#ifndef PHONEPACK_MULTI_MD5_H
#define PHONEPACK_MULTI_MD5_H
#include <stddef.h>
#include <stdint.h>

/// MD5 of up to eight independent streams at once ("multi-buffer"): one AVX2 register holds the same state word
/// of eight streams, so the eight MD5s of eight upload parts cost about what two cost one at a time.

/// Sets `state` to MD5's initial value.
void pp_md5_init(uint32_t state[4]);
/// Runs `blocks` 64-byte blocks of `data` through one stream (portable C).
void pp_md5_blocks(uint32_t state[4], const uint8_t *data, size_t blocks);
/// Pads and finishes one stream: `tail` holds the last `tail_length` (< 64) bytes, `total_length` counts all.
void pp_md5_finish(uint32_t state[4], const uint8_t *tail, size_t tail_length, uint64_t total_length, uint8_t digest[16]);
/// Whether this CPU runs `pp_md5x8_blocks` (AVX2).
int pp_md5x8_available(void);
/// Caps the instruction set used (0 portable C, 1 AVX2, 2 AVX-512VL) so tests can check every path; returns the
/// level now in use.
int pp_md5x8_limit_level(int most);
/// Runs `blocks` 64-byte blocks of each of eight streams: `states[i]` and `data[i]` are stream i's.
void pp_md5x8_blocks(uint32_t states[8][4], const uint8_t *const data[8], size_t blocks);

#endif
