/* What phonepack's safe extraction must ask of the kernel, and nothing else: for the bench's plain ustar tar,
   each folder is made and opened once (mkdirat, openat O_NOFOLLOW|O_DIRECTORY) and each file is written as
   phonepack writes it: an unnamed file (O_TMPFILE), one write, futimens, linkat under its name, close. No
   checks, no pre-scan, no policy: the floor under phonepack's CPU on this input (bench_extract.py, "floor").

       extract_floor TAR DIR */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long long octal(const char *p, int n) {
    long long v = 0;
    for (int i = 0; i < n && p[i]; i++)
        if (p[i] >= '0' && p[i] <= '7') v = v * 8 + (p[i] - '0');
    return v;
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    int in = open(argv[1], O_RDONLY), root = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (in < 0 || root < 0) return 1;
    struct stat st;
    fstat(in, &st);
    char *tar = malloc(st.st_size);
    for (off_t got = 0; got < st.st_size;) {
        ssize_t n = read(in, tar + got, st.st_size - got);
        if (n <= 0) return 1;
        got += n;
    }
    char folder[512] = "";
    int folderFD = -1;
    for (off_t at = 0; at + 512 <= st.st_size && tar[at];) {
        const char *h = tar + at;
        char name[256];
        snprintf(name, sizeof name, "%.100s", h);
        const char *path = strncmp(name, "./", 2) == 0 ? name + 2 : name;
        long long size = octal(h + 124, 12);
        struct timespec times[2] = {{octal(h + 136, 12), 0}, {octal(h + 136, 12), 0}};
        at += 512;
        if (h[156] == '5') {
            char dir[256];
            snprintf(dir, sizeof dir, "%s", path);
            size_t len = strlen(dir);
            if (len && dir[len - 1] == '/') dir[len - 1] = 0;
            if (*dir) mkdirat(root, dir, 0700);
        } else if (h[156] == '0' || h[156] == 0) {
            const char *slash = strrchr(path, '/');
            char parent[256] = "";
            if (slash) snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
            if (strcmp(parent, folder) != 0) {
                if (folderFD >= 0) close(folderFD);
                folderFD = openat(root, *parent ? parent : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                snprintf(folder, sizeof folder, "%s", parent);
            }
            int fd = openat(folderFD, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, 0644);
            if (fd < 0 || write(fd, tar + at, size) != size) return 1;
            futimens(fd, times);
            const char *leaf = slash ? slash + 1 : path;
            if (linkat(fd, "", folderFD, leaf, AT_EMPTY_PATH) != 0) {
                char proc[64]; /* without CAP_DAC_READ_SEARCH, as phonepack does */
                snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
                if (linkat(AT_FDCWD, proc, folderFD, leaf, AT_SYMLINK_FOLLOW) != 0) return 1;
            }
            close(fd);
        }
        at += (size + 511) / 512 * 512;
    }
    return 0;
}
