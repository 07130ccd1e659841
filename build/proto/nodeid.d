build/proto/nodeid.o: proto/nodeid.c proto/nodeid.h proto/errbuf.h
proto/nodeid.h:
proto/errbuf.h:
