build/proto/xmalloc.o: proto/xmalloc.c proto/xmalloc.h
proto/xmalloc.h:
