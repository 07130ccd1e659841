build-asan/proto/body.o: proto/body.c proto/body.h proto/errbuf.h \
 proto/mp.h proto/record.h
proto/body.h:
proto/errbuf.h:
proto/mp.h:
proto/record.h:
