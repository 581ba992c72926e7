/*
 * storage.c — checkpoints on disk; see storage.h.
 *
 * Every state file is written and fsynced before _metadata, and _metadata
 * is written to a temporary name, fsynced, renamed into place and its
 * directory fsynced: after a crash the directory either has a _metadata that
 * verifies or it is incomplete. _metadata is text, one fact per line, so a
 * person (or a future inspection tool) can read it:
 *
 *   weir-checkpoint 1
 *   id 7
 *   max-parallelism 128
 *   finished <vertex> <subtask>
 *   file <name> <vertex> <subtask> <keygroup> <bytes> <xxh3 hex>
 *   checksum <xxh3 hex of every line above>
 */
#include "storage.h"
#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define METADATA "_metadata"
#define FORMAT_LINE "weir-checkpoint 1\n"

/* ---- files --------------------------------------------------------------------- */

static int io_error(wr_error *err, const char *what, const char *path)
{
    return wr_error_set(err, WR_ERR_IO, "checkpoint storage: cannot %s '%s': %s", what, path,
                        strerror(errno));
}

/* Creates path and its parents (like mkdir -p). */
static int make_dirs(const char *path, wr_error *err)
{
    char *p = wr_strdup(path);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) rc = io_error(err, "create directory", p);
        *s = c;
        if (c == '\0') break;
    }
    wr_free(p);
    return rc;
}

static int sync_dir(const char *path, wr_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return io_error(err, "open directory", path);
    int rc = fsync(fd) == 0 ? 0 : io_error(err, "sync directory", path);
    close(fd);
    return rc;
}

/* Writes data to path and fsyncs it. */
static int write_file(const char *path, const void *data, size_t len, wr_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(err, "create", path);
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int rc = io_error(err, "write", path);
            close(fd);
            return rc;
        }
        p += n;
        len -= (size_t)n;
    }
    int rc = fsync(fd) == 0 ? 0 : io_error(err, "sync", path);
    if (close(fd) != 0 && rc == 0) rc = io_error(err, "close", path);
    return rc;
}

/* Reads a whole file into out. */
static int read_file(const char *path, wr_buf *out, wr_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(err, "open", path);
    for (;;) {
        char *dst = wr_buf_reserve(out, 1 << 16);
        ssize_t n = read(fd, dst, 1 << 16);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int rc = io_error(err, "read", path);
            close(fd);
            return rc;
        }
        if (n == 0) break;
        out->len += (size_t)n;
    }
    close(fd);
    wr_buf_reserve(out, 1)[0] = '\0'; /* as the wr_buf functions leave it */
    return 0;
}

/* The job's directory name: its name with anything but [A-Za-z0-9._-] as '_'. */
static char *job_dir(const char *dir, const char *job)
{
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "%s/", dir);
    for (const char *s = job && *job ? job : "job"; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        wr_buf_putc(&b, ok && !(c == '.' && s == job) ? c : '_');
    }
    return wr_buf_detach(&b);
}

char *wr_chk_path(const char *dir, const char *job, int64_t id)
{
    char *jdir = job_dir(dir, job);
    wr_buf b;
    wr_buf_init(&b);
    wr_buf_printf(&b, "%s/chk-%" PRId64, jdir, id);
    wr_free(jdir);
    return wr_buf_detach(&b);
}

/* ---- writing ------------------------------------------------------------------ */

int wr_chk_write(const char *dir, const char *job, const wr_checkpoint *chk, int max_parallelism,
                 wr_error *err)
{
    char *jdir = job_dir(dir, job);
    wr_buf path, meta;
    wr_buf_init(&path);
    wr_buf_init(&meta);
    wr_buf_printf(&path, "%s/chk-%" PRId64, jdir, chk->id);
    char *cdir = wr_buf_detach(&path);
    int rc = make_dirs(cdir, err);
    if (rc == 0) rc = sync_dir(jdir, err); /* the new chk-<id> entry survives a power loss */
    wr_buf_puts(&meta, FORMAT_LINE);
    wr_buf_printf(&meta, "id %" PRId64 "\nmax-parallelism %d\n", chk->id, max_parallelism);
    for (int i = 0; i < chk->nsnapshots && rc == 0; i++) {
        const wr_snapshot *s = &chk->snapshots[i];
        if (s->finished) wr_buf_printf(&meta, "finished %d %d\n", s->vertex, s->subtask);
        for (int p = 0; p < s->nparts && rc == 0; p++) {
            const wr_snapshot_part *part = &s->parts[p];
            char name[96];
            if (part->keygroup < 0)
                snprintf(name, sizeof(name), "v%d-s%d-p%d.op", s->vertex, s->subtask, p);
            else
                snprintf(name, sizeof(name), "v%d-kg%d.kg", s->vertex, part->keygroup);
            wr_buf_reset(&path);
            wr_buf_printf(&path, "%s/%s", cdir, name);
            rc = write_file(path.data, part->data.data, part->data.len, err);
            wr_buf_printf(&meta, "file %s %d %d %d %zu %016" PRIx64 "\n", name, s->vertex,
                          s->subtask, part->keygroup, part->data.len,
                          wr_hash_bytes(part->data.data, part->data.len));
        }
    }
    if (rc == 0) {
        wr_buf_printf(&meta, "checksum %016" PRIx64 "\n", wr_hash_bytes(meta.data, meta.len));
        wr_buf_reset(&path);
        wr_buf_printf(&path, "%s/%s.tmp", cdir, METADATA);
        char *tmp = wr_strdup(path.data);
        wr_buf_reset(&path);
        wr_buf_printf(&path, "%s/%s", cdir, METADATA);
        rc = write_file(tmp, meta.data, meta.len, err);
        if (rc == 0 && rename(tmp, path.data) != 0) rc = io_error(err, "rename", tmp);
        if (rc == 0) rc = sync_dir(cdir, err);
        wr_free(tmp);
    }
    wr_buf_fini(&path);
    wr_buf_fini(&meta);
    wr_free(cdir);
    wr_free(jdir);
    return rc;
}

/* ---- reading ------------------------------------------------------------------- */

/* Reads and verifies a checkpoint's _metadata into meta (its text). */
static int read_metadata(const char *cdir, wr_buf *meta, wr_error *err)
{
    wr_buf path;
    wr_buf_init(&path);
    wr_buf_printf(&path, "%s/%s", cdir, METADATA);
    int rc = read_file(path.data, meta, err);
    if (rc == 0) {
        /* The last line is "checksum <hex>" over everything before it. */
        const char *last = NULL;
        for (size_t i = 0; i + 1 < meta->len; i++)
            if (meta->data[i] == '\n') last = meta->data + i + 1;
        uint64_t want;
        if (meta->len < sizeof(FORMAT_LINE) - 1 ||
            memcmp(meta->data, FORMAT_LINE, sizeof(FORMAT_LINE) - 1) != 0)
            rc = wr_error_set(err, WR_ERR_IO, "checkpoint '%s': '%s' is not checkpoint metadata",
                              cdir, METADATA);
        else if (last == NULL || sscanf(last, "checksum %" SCNx64, &want) != 1 ||
                 meta->data[meta->len - 1] != '\n' ||
                 wr_hash_bytes(meta->data, (size_t)(last - meta->data)) != want)
            rc = wr_error_set(err, WR_ERR_IO,
                              "checkpoint '%s': '%s' is truncated or corrupt (checksum mismatch)",
                              cdir, METADATA);
    }
    wr_buf_fini(&path);
    return rc;
}

typedef struct chk_entry {
    int64_t id;
    char *name;
} chk_entry;

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = ((const chk_entry *)a)->id, y = ((const chk_entry *)b)->id;
    return x > y ? -1 : x < y;
}

/* The chk-<id> directories of a job, newest first. */
static int list_checkpoints(const char *jdir, chk_entry **out, int *n, wr_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(jdir);
    if (d == NULL) return errno == ENOENT ? 0 : io_error(err, "open directory", jdir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, "chk-", 4) != 0) continue;
        long long id = strtoll(e->d_name + 4, &end, 10);
        if (*end != '\0' || id <= 0) continue;
        *out = wr_realloc(*out, (size_t)(*n + 1) * sizeof(chk_entry));
        (*out)[*n] = (chk_entry){id, wr_strdup(e->d_name)};
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*out, (size_t)*n, sizeof(chk_entry), cmp_desc);
    return 0;
}

static void free_entries(chk_entry *v, int n)
{
    for (int i = 0; i < n; i++) wr_free(v[i].name);
    wr_free(v);
}

static bool complete(const char *cdir)
{
    wr_buf meta;
    wr_buf_init(&meta);
    wr_error err;
    wr_error_init(&err);
    bool ok = read_metadata(cdir, &meta, &err) == 0;
    wr_buf_fini(&meta);
    return ok;
}

int wr_chk_latest(const char *dir, const char *job, char **path, int *skipped, wr_error *err)
{
    char *jdir = job_dir(dir, job);
    chk_entry *v;
    int n, found = 0;
    *path = NULL;
    if (skipped) *skipped = 0;
    int rc = list_checkpoints(jdir, &v, &n, err);
    for (int i = 0; i < n && rc == 0 && !found; i++) {
        wr_buf p;
        wr_buf_init(&p);
        wr_buf_printf(&p, "%s/%s", jdir, v[i].name);
        if (complete(p.data)) {
            *path = wr_buf_detach(&p);
            found = 1;
        } else {
            /* A crash while writing it, or damage: an older one is the latest that holds. */
            bool has_meta = false;
            wr_buf_puts(&p, "/" METADATA);
            has_meta = access(p.data, F_OK) == 0;
            if (skipped && has_meta) (*skipped)++;
        }
        wr_buf_fini(&p);
    }
    free_entries(v, n);
    wr_free(jdir);
    return rc ? rc : found;
}

int64_t wr_chk_max_id(const char *dir, const char *job)
{
    char *jdir = job_dir(dir, job);
    chk_entry *v;
    int n;
    wr_error err;
    wr_error_init(&err);
    int64_t max = 0;
    if (list_checkpoints(jdir, &v, &n, &err) == 0) {
        if (n > 0) max = v[0].id;
        free_entries(v, n);
    }
    wr_free(jdir);
    return max;
}

static int remove_dir(const char *cdir, wr_error *err)
{
    DIR *d = opendir(cdir);
    if (d == NULL) return io_error(err, "open directory", cdir);
    struct dirent *e;
    wr_buf p;
    wr_buf_init(&p);
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        wr_buf_reset(&p);
        wr_buf_printf(&p, "%s/%s", cdir, e->d_name);
        if (unlink(p.data) != 0) rc = io_error(err, "remove", p.data);
    }
    closedir(d);
    wr_buf_fini(&p);
    if (rc == 0 && rmdir(cdir) != 0) rc = io_error(err, "remove directory", cdir);
    return rc;
}

int wr_chk_retain(const char *dir, const char *job, int retain, wr_error *err)
{
    char *jdir = job_dir(dir, job);
    chk_entry *v;
    int n, kept = 0;
    int rc = list_checkpoints(jdir, &v, &n, err);
    wr_buf p;
    wr_buf_init(&p);
    for (int i = 0; i < n && rc == 0; i++) {
        wr_buf_reset(&p);
        wr_buf_printf(&p, "%s/%s", jdir, v[i].name);
        bool ok = complete(p.data);
        /* Newer incomplete ones may still be being written: leave them. */
        if (ok && kept < retain)
            kept++;
        else if (kept > 0)
            rc = remove_dir(p.data, err);
    }
    wr_buf_fini(&p);
    free_entries(v, n);
    wr_free(jdir);
    return rc;
}

/* The snapshot of (vertex, subtask) in chk, added if missing. */
static wr_snapshot *snapshot_of(wr_checkpoint *chk, int vertex, int subtask)
{
    for (int i = 0; i < chk->nsnapshots; i++)
        if (chk->snapshots[i].vertex == vertex && chk->snapshots[i].subtask == subtask)
            return &chk->snapshots[i];
    chk->snapshots =
        wr_realloc(chk->snapshots, (size_t)(chk->nsnapshots + 1) * sizeof(wr_snapshot));
    wr_snapshot *s = &chk->snapshots[chk->nsnapshots++];
    memset(s, 0, sizeof(*s));
    s->vertex = vertex;
    s->subtask = subtask;
    return s;
}

int wr_chk_load(const char *path, wr_checkpoint **out, int *max_parallelism, wr_error *err)
{
    *out = NULL;
    wr_buf meta;
    wr_buf_init(&meta);
    int rc = read_metadata(path, &meta, err);
    wr_checkpoint *chk = wr_calloc(1, sizeof(*chk));
    int maxp = 0;
    wr_buf fpath;
    wr_buf_init(&fpath);
    for (char *line = meta.data, *next; rc == 0 && line && *line; line = next) {
        char *nl = memchr(line, '\n', (size_t)(meta.data + meta.len - line));
        if (nl == NULL || memchr(line, '\0', (size_t)(nl - line))) {
            rc = wr_error_set(err, WR_ERR_IO, "checkpoint '%s': malformed '%s'", path, METADATA);
            break;
        }
        *nl = '\0';
        next = nl + 1;
        char name[96];
        int v, s, kg;
        size_t bytes;
        uint64_t hash;
        long long id;
        if (sscanf(line, "id %lld", &id) == 1) {
            chk->id = id;
        } else if (sscanf(line, "max-parallelism %d", &maxp) == 1) {
        } else if (sscanf(line, "finished %d %d", &v, &s) == 2) {
            snapshot_of(chk, v, s)->finished = true;
        } else if (sscanf(line, "file %95s %d %d %d %zu %" SCNx64, name, &v, &s, &kg, &bytes,
                          &hash) == 6) {
            if (strchr(name, '/') || name[0] == '.' || v < 0 || s < 0 || kg < -1) {
                rc = wr_error_set(err, WR_ERR_IO, "checkpoint '%s': bad file entry '%s'", path,
                                  line);
                break;
            }
            wr_buf *data = wr_snapshot_add(snapshot_of(chk, v, s), kg);
            wr_buf_reset(&fpath);
            wr_buf_printf(&fpath, "%s/%s", path, name);
            rc = read_file(fpath.data, data, err);
            if (rc == 0 && (data->len != bytes || wr_hash_bytes(data->data, data->len) != hash))
                rc = wr_error_set(err, WR_ERR_IO,
                                  "checkpoint file '%s' is truncated or corrupt (%zu bytes, "
                                  "expected %zu, or a checksum mismatch)",
                                  fpath.data, data->len, bytes);
        }
    }
    wr_buf_fini(&fpath);
    wr_buf_fini(&meta);
    if (rc) {
        wr_checkpoint_free(chk);
        return rc;
    }
    if (max_parallelism) *max_parallelism = maxp;
    *out = chk;
    return 0;
}
