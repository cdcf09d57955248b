// Command bookftp is the FTP-like directory server of chapter 5 of Jan Newmarch's
// "Network Programming with Go" (the book's protocol, not FTP as in RFC 959), for
// wirecert's simpleftp interop tests. It uses only the Go standard library.
//
// The request handling is the book's, unchanged: each Read of up to 512 bytes is
// one command; "CD <dir>" answers OK or ERROR after os.Chdir (which changes the
// directory of the whole process, so every client shares it); "DIR" lists the
// working directory, each name followed by "\r\n", then one more "\r\n"; "PWD"
// answers os.Getwd(). Anything else is ignored. A read shorter than three bytes,
// or "CD" alone, panics on a slice bounds error, which ends the process.
//
// Only the listening differs from the book (which listens on 0.0.0.0:1202): it
// listens on -listen (default 127.0.0.1:0), prints one line to stdout,
//
//	listening tcp <host> <port>
//
// and serves from its working directory until it is killed (or, with
// -exit-on-stdin-eof, until its standard input reaches end of file).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

const (
	DIR = "DIR"
	CD  = "CD"
	PWD = "PWD"
)

func main() {
	service := flag.String("listen", "127.0.0.1:0", "address to listen on (the book: 0.0.0.0:1202)")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input is closed")
	flag.Parse()

	tcpAddr, err := net.ResolveTCPAddr("tcp", *service)
	checkError(err)
	listener, err := net.ListenTCP("tcp", tcpAddr)
	checkError(err)
	addr := listener.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP.String(), addr.Port)

	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
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
			conn.Close()
			return
		}

		s := string(buf[0:n])
		// decode request
		if s[0:2] == CD {
			chdir(conn, s[3:])
		} else if s[0:3] == DIR {
			dirList(conn)
		} else if s[0:3] == PWD {
			pwd(conn)
		}
	}
}

func chdir(conn net.Conn, s string) {
	if os.Chdir(s) == nil {
		conn.Write([]byte("OK"))
	} else {
		conn.Write([]byte("ERROR"))
	}
}

func pwd(conn net.Conn) {
	s, err := os.Getwd()
	if err != nil {
		conn.Write([]byte(""))
		return
	}
	conn.Write([]byte(s))
}

func dirList(conn net.Conn) {
	defer conn.Write([]byte("\r\n"))

	dir, err := os.Open(".")
	if err != nil {
		return
	}

	names, err := dir.Readdirnames(-1)
	if err != nil {
		return
	}
	for _, nm := range names {
		conn.Write([]byte(nm + "\r\n"))
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "Fatal error: %s", err.Error())
		os.Exit(1)
	}
}
