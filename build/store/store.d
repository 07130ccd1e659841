build/store/store.o: store/store.c proto/body.h proto/errbuf.h proto/mp.h \
 proto/record.h proto/xmalloc.h store/store.h
proto/body.h:
proto/errbuf.h:
proto/mp.h:
proto/record.h:
proto/xmalloc.h:
store/store.h:
