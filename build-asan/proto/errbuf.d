build-asan/proto/errbuf.o: proto/errbuf.c proto/errbuf.h
proto/errbuf.h:
