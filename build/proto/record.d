build/proto/record.o: proto/record.c proto/record.h proto/errbuf.h \
 proto/mp.h
proto/record.h:
proto/errbuf.h:
proto/mp.h:
