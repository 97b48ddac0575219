#include "multi_md5.h"

#include <immintrin.h>
#include <string.h>

// RFC 1321: the sine-derived constants, the per-step shifts, and which message word each step reads.
static const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
static const int S[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static inline int word_index(int step) {
    switch (step >> 4) {
    case 0: return step;
    case 1: return (5 * step + 1) & 15;
    case 2: return (3 * step + 5) & 15;
    default: return (7 * step) & 15;
    }
}

static inline uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void pp_md5_init(uint32_t state[4]) {
    state[0] = 0x67452301;
    state[1] = 0xefcdab89;
    state[2] = 0x98badcfe;
    state[3] = 0x10325476;
}

void pp_md5_blocks(uint32_t state[4], const uint8_t *data, size_t blocks) {
    for (; blocks > 0; blocks--, data += 64) {
        uint32_t m[16];
        for (int i = 0; i < 16; i++) m[i] = load_le32(data + 4 * i);
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        for (int i = 0; i < 64; i++) {
            uint32_t f;
            switch (i >> 4) {
            case 0: f = d ^ (b & (c ^ d)); break;
            case 1: f = c ^ (d & (b ^ c)); break;
            case 2: f = b ^ c ^ d; break;
            default: f = c ^ (b | ~d); break;
            }
            uint32_t sum = a + f + K[i] + m[word_index(i)];
            int s = S[i >> 4][i & 3];
            a = d;
            d = c;
            c = b;
            b = b + (sum << s | sum >> (32 - s));
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
    }
}

void pp_md5_finish(uint32_t state[4], const uint8_t *tail, size_t tail_length, uint64_t total_length, uint8_t digest[16]) {
    uint8_t last[128] = {0};
    memcpy(last, tail, tail_length);
    last[tail_length] = 0x80;
    size_t blocks = tail_length + 9 <= 64 ? 1 : 2;
    uint64_t bits = total_length * 8;
    for (int i = 0; i < 8; i++) last[blocks * 64 - 8 + i] = (uint8_t)(bits >> (8 * i));
    pp_md5_blocks(state, last, blocks);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) digest[4 * i + j] = (uint8_t)(state[i] >> (8 * j));
}

/// One 8-lane MD5 over `blocks` blocks; ROTL, F, G, H, I are the vector operations of the target it is built for.
#define MD5X8_FUNCTION(NAME, TARGET, ROTL, F, G, H, I)                                                          \
    __attribute__((target(TARGET))) static void NAME(uint32_t states[8][4], const uint8_t *const data[8],       \
                                                     size_t blocks) {                                           \
        __m256i a = _mm256_setr_epi32(states[0][0], states[1][0], states[2][0], states[3][0], states[4][0],     \
                                      states[5][0], states[6][0], states[7][0]);                                \
        __m256i b = _mm256_setr_epi32(states[0][1], states[1][1], states[2][1], states[3][1], states[4][1],     \
                                      states[5][1], states[6][1], states[7][1]);                                \
        __m256i c = _mm256_setr_epi32(states[0][2], states[1][2], states[2][2], states[3][2], states[4][2],     \
                                      states[5][2], states[6][2], states[7][2]);                                \
        __m256i d = _mm256_setr_epi32(states[0][3], states[1][3], states[2][3], states[3][3], states[4][3],     \
                                      states[5][3], states[6][3], states[7][3]);                                \
        const __m256i ones = _mm256_set1_epi32(-1);                                                             \
        (void)ones;                                                                                             \
        for (size_t block = 0; block < blocks; block++) {                                                       \
            const size_t offset = block * 64;                                                                   \
            __m256i m[16];                                                                                      \
            for (int i = 0; i < 16; i++) {                                                                      \
                m[i] = _mm256_setr_epi32(                                                                       \
                    (int)load_le32(data[0] + offset + 4 * i), (int)load_le32(data[1] + offset + 4 * i),         \
                    (int)load_le32(data[2] + offset + 4 * i), (int)load_le32(data[3] + offset + 4 * i),         \
                    (int)load_le32(data[4] + offset + 4 * i), (int)load_le32(data[5] + offset + 4 * i),         \
                    (int)load_le32(data[6] + offset + 4 * i), (int)load_le32(data[7] + offset + 4 * i));        \
            }                                                                                                   \
            const __m256i a0 = a, b0 = b, c0 = c, d0 = d;                                                       \
            for (int i = 0; i < 64; i++) {                                                                      \
                __m256i f = i < 16 ? (F) : i < 32 ? (G) : i < 48 ? (H) : (I);                                   \
                __m256i sum = _mm256_add_epi32(_mm256_add_epi32(a, f),                                          \
                                               _mm256_add_epi32(_mm256_set1_epi32((int)K[i]), m[word_index(i)])); \
                a = d;                                                                                          \
                d = c;                                                                                          \
                c = b;                                                                                          \
                b = _mm256_add_epi32(b, ROTL(sum, S[i >> 4][i & 3]));                                           \
            }                                                                                                   \
            a = _mm256_add_epi32(a, a0);                                                                        \
            b = _mm256_add_epi32(b, b0);                                                                        \
            c = _mm256_add_epi32(c, c0);                                                                        \
            d = _mm256_add_epi32(d, d0);                                                                        \
        }                                                                                                       \
        uint32_t out[4][8];                                                                                     \
        _mm256_storeu_si256((__m256i *)out[0], a);                                                              \
        _mm256_storeu_si256((__m256i *)out[1], b);                                                              \
        _mm256_storeu_si256((__m256i *)out[2], c);                                                              \
        _mm256_storeu_si256((__m256i *)out[3], d);                                                              \
        for (int lane = 0; lane < 8; lane++)                                                                    \
            for (int word = 0; word < 4; word++) states[lane][word] = out[word][lane];                          \
    }

// AVX2: rotates are two shifts and an or; the round functions two or three logic operations.
#define AVX2_ROTL(x, s) _mm256_or_si256(_mm256_slli_epi32((x), (s)), _mm256_srli_epi32((x), 32 - (s)))
MD5X8_FUNCTION(md5x8_avx2, "avx2", AVX2_ROTL, _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))),
               _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c))),
               _mm256_xor_si256(_mm256_xor_si256(b, c), d),
               _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones))))

// AVX-512VL: one rotate instruction, and each round function is one ternary-logic instruction
// (truth tables 0xCA = b ? c : d, 0xE4 = d ? b : c, 0x96 = b ^ c ^ d, 0x39 = c ^ (b | ~d)).
#define AVX512_ROTL(x, s) _mm256_rolv_epi32((x), _mm256_set1_epi32(s))
MD5X8_FUNCTION(md5x8_avx512, "avx2,avx512f,avx512vl", AVX512_ROTL, _mm256_ternarylogic_epi32(b, c, d, 0xCA),
               _mm256_ternarylogic_epi32(b, c, d, 0xE4), _mm256_ternarylogic_epi32(b, c, d, 0x96),
               _mm256_ternarylogic_epi32(b, c, d, 0x39))

static int level = -1;

static int cpu_level(void) {
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512f") ? 2
                : __builtin_cpu_supports("avx2")                                        ? 1
                                                                                        : 0;
    }
    return level;
}

int pp_md5x8_available(void) { return cpu_level() > 0; }

int pp_md5x8_limit_level(int most) {
    int current = cpu_level();
    level = most < current ? most : current;
    return level;
}

void pp_md5x8_blocks(uint32_t states[8][4], const uint8_t *const data[8], size_t blocks) {
    if (cpu_level() == 2) {
        md5x8_avx512(states, data, blocks);
    } else if (cpu_level() == 1) {
        md5x8_avx2(states, data, blocks);
    } else {
        for (int lane = 0; lane < 8; lane++) pp_md5_blocks(states[lane], data[lane], blocks);
    }
}
