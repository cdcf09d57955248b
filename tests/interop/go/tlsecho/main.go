// Command tlsecho is the TLS echo server of chapter 7 of "Network Programming
// with Go" (Jan Newmarch), for wirecert's interop tests: Go's crypto/tls with
// its default configuration, standard library only.
//
// The book's server listens on port 1200 with a certificate from files; this
// one listens on an ephemeral port of -host with the certificate chain -cert
// and key -key (PEM), prints
//
//	listening tcp <host> <port>
//
// and serves until its standard input reaches end of file (so it cannot
// outlive its parent). Each connection is echoed as the book does: read up to
// 512 bytes, write them back, until a read fails (the client's close_notify
// reads as io.EOF); then Close, which sends Go's own close_notify.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	certFile := flag.String("cert", "", "certificate chain (PEM)")
	keyFile := flag.String("key", "", "private key (PEM)")
	flag.Parse()

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	checkError(err)
	// As in the book: only the certificate is configured; every other setting is
	// crypto/tls's default for this Go version.
	config := tls.Config{Certificates: []tls.Certificate{cert}}
	listener, err := tls.Listen("tcp", net.JoinHostPort(*host, "0"), &config)
	checkError(err)
	addr := listener.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP, addr.Port)

	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		conn, err := listener.Accept()
		if err != nil {
			continue
		}
		go handleClient(conn)
	}
}

func handleClient(conn net.Conn) {
	defer conn.Close()
	var buf [512]byte
	for {
		n, err := conn.Read(buf[0:])
		if err != nil {
			return
		}
		if _, err := conn.Write(buf[0:n]); err != nil {
			return
		}
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error:", err.Error())
		os.Exit(1)
	}
}
