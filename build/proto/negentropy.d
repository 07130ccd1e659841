build/proto/negentropy.o: proto/negentropy.c proto/negentropy.h \
 proto/errbuf.h proto/xmalloc.h
proto/negentropy.h:
proto/errbuf.h:
proto/xmalloc.h:
