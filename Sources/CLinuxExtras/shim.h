#ifndef PHONEPACK_CLINUXEXTRAS_SHIM_H
#define PHONEPACK_CLINUXEXTRAS_SHIM_H
/* Linux calls Swift's Glibc module does not carry: extended attributes (set on extracted files) and prctl
   (variadic in C, so wrapped). */
#include <sys/xattr.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <linux/fs.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
/* Linux values, for headers read without _GNU_SOURCE. */
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* Marks the process not dumpable: no core file, and no other process of the same user may ptrace it or read
   its memory through /proc. Returns 0 on success. */
static inline int phonepack_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
/* copy_file_range(2) by its system call (glibc declares it only under _GNU_SOURCE): bytes copied in the kernel. */
static inline long phonepack_copy_file_range(int in, long long *in_offset, int out, long long *out_offset,
                                             unsigned long length) {
    loff_t from = *in_offset, to = *out_offset;
    long n = syscall(SYS_copy_file_range, in, &from, out, &to, length, 0);
    if (n > 0) { *in_offset = from; *out_offset = to; }
    return n;
}

/* renameat2(RENAME_NOREPLACE): moves a finished file to its name only if nothing is there, atomically. Returns
   -1 with errno EEXIST when something is, EINVAL where the file system cannot do it. */
static inline int phonepack_renameat_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, 1u /* RENAME_NOREPLACE */);
}
/* An unnamed file in the folder open as dirfd (O_TMPFILE): it gets a name only through phonepack_link_unnamed,
   so a crash leaves nothing behind. -1 where the file system cannot (EOPNOTSUPP, EISDIR, EINVAL). */
static inline int phonepack_open_unnamed(int dirfd, unsigned int mode) {
    return openat(dirfd, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, mode);
}

/* Gives the unnamed file fd the name `name` in dirfd; fails with EEXIST if the name is taken (never replaces).
   AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it the /proc/self/fd path does the same. */
static inline int phonepack_link_unnamed(int fd, int dirfd, const char *name) {
    if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) return 0;
    if (errno != EPERM && errno != ENOENT) return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW);
}

/* Whether names in the folder open as fd are compared without case (and Unicode form): file systems that always
   fold (FAT, exFAT, NTFS, SMB, HFS), or an ext4/f2fs folder with the casefold attribute (chattr +F). Asks the
   file system; writes nothing. */
static inline int phonepack_folds_case(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) == 0) {
        switch ((unsigned long)fs.f_type) {
        case 0x4d44UL:      /* MSDOS / vfat */
        case 0x2011BAB0UL:  /* exFAT */
        case 0x5346544eUL:  /* NTFS (ntfs3) */
        case 0xFF534D42UL:  /* CIFS */
        case 0xFE534D42UL:  /* SMB2 */
        case 0x517BUL:      /* SMB */
        case 0x4244UL:      /* HFS */
        case 0x482bUL:      /* HFS+ */
            return 1;
        }
    }
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & 0x40000000 /* FS_CASEFOLD_FL */)) return 1;
    return 0;
}
#endif
