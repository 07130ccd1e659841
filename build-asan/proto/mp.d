build-asan/proto/mp.o: proto/mp.c proto/mp.h proto/errbuf.h \
 proto/xmalloc.h
proto/mp.h:
proto/errbuf.h:
proto/xmalloc.h:
