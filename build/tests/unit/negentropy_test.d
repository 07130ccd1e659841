build/tests/unit/negentropy_test.o: tests/unit/negentropy_test.c \
 proto/negentropy.h proto/errbuf.h tests/unit/test.h
proto/negentropy.h:
proto/errbuf.h:
tests/unit/test.h:
