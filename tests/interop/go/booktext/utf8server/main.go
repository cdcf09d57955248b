// Command utf8server is the UTF-8 server of Newmarch, "Network Programming with
// Go", chapter 6: it sends the UTF-8 bytes of a Chinese text on each connection,
// then closes. Standard library only.
//
// For wirecert's interop tests it listens on 127.0.0.1 port 0 (not the book's
// 0.0.0.0:1210), prints "listening tcp 127.0.0.1 PORT", and exits when its standard
// input reaches end of file, so it cannot outlive its parent.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
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
		str := "百度一下，你就知道"
		_, _ = conn.Write([]byte(str))
		conn.Close() // we're finished
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error", err.Error())
		os.Exit(1)
	}
}
