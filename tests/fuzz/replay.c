/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Replay a libFuzzer corpus without libFuzzer: for each path on the
 * command line (a file, or a directory whose regular files are each
 * read, in name order), call LLVMFuzzerTestOneInput() once per file.
 * `make test` links every tests/fuzz/X_fuzz.c with this file and runs it
 * over tests/fuzz/corpus/X/ with the normal compiler (and under ASan and
 * UBSan for `make check`), so every input ever found stays a regression.
 *
 * Each input is copied into a heap block of exactly its size, so that a
 * read past the end is caught by AddressSanitizer.  Prints nothing but
 * errors and a final "replayed N inputs" line on stderr; exits 1 if a
 * path cannot be read or a file is larger than REPLAY_INPUT_MAX.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_INPUT_MAX (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the regular file at path and run it; 0 or -1 with a message. */
static int
replay_file(const char *path, const struct stat *st)
{
	size_t size = (size_t)st->st_size, got;
	uint8_t *buf;
	FILE *f;

	if (st->st_size > REPLAY_INPUT_MAX) {
		fprintf(stderr, "replay: %s: %lld bytes, limit %d\n", path,
		    (long long)st->st_size, REPLAY_INPUT_MAX);
		return -1;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* malloc(0) may return NULL; libFuzzer never passes NULL. */
	if ((buf = malloc(size ? size : 1)) == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		fclose(f);
		return -1;
	}
	got = fread(buf, 1, size, f);
	if (got != size || ferror(f) || fgetc(f) != EOF) {
		fprintf(stderr, "replay: %s: changed or unreadable while "
		    "reading\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	return 0;
}

/* Run every regular file of the directory at path; returns the number of
 * failures, counting n up for each input run. */
static int
replay_dir(const char *path, size_t *n)
{
	struct dirent **names = NULL;
	int count, failed = 0;

	if ((count = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < count; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(path) + strlen(name) + 2;
		char *full;
		struct stat st;

		if (name[0] == '.' && (name[1] == '\0' ||
		    (name[1] == '.' && name[2] == '\0'))) {
			free(names[i]);
			continue;
		}
		if ((full = malloc(len)) == NULL) {
			fprintf(stderr, "replay: out of memory\n");
			exit(1);
		}
		snprintf(full, len, "%s/%s", path, name);
		if (stat(full, &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", full,
			    strerror(errno));
			failed++;
		} else if (S_ISREG(st.st_mode)) {
			if (replay_file(full, &st) == 0)
				(*n)++;
			else
				failed++;
		}
		/* Subdirectories and other files are not inputs. */
		free(full);
		free(names[i]);
	}
	free(names);
	return failed;
}

int
main(int argc, char **argv)
{
	size_t n = 0;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 64;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			failed += replay_dir(argv[i], &n);
		} else if (S_ISREG(st.st_mode)) {
			if (replay_file(argv[i], &st) == 0)
				n++;
			else
				failed++;
		} else {
			fprintf(stderr, "replay: %s: not a file or directory\n",
			    argv[i]);
			failed++;
		}
	}
	fprintf(stderr, "replayed %zu inputs\n", n);
	return failed ? 1 : 0;
}
