// Command bookgobecho is the gob echo server of Newmarch, "Network Programming
// with Go", ch. 4 (GobEchoServer), standard library only, for wirecert's interop
// tests (tests/interop/test_book_echo_interop.py).
//
// As in the book, each connection is served by its own goroutine, which ten times
// decodes a Person with a gob.Decoder and encodes it back with a gob.Encoder,
// ignoring errors (a failed Decode leaves the zero Person, which is sent), and then
// closes the connection. Two changes: it listens on 127.0.0.1 port 0 (or -listen)
// and prints "listening tcp 127.0.0.1 PORT" once bound; and it exits when its
// standard input closes, so it cannot outlive the test that started it.
package main

import (
	"encoding/gob"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

type Person struct {
	Name  Name
	Email []Email
}

type Name struct {
	Family   string
	Personal string
}

type Email struct {
	Kind    string
	Address string
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()

	listener, err := net.Listen("tcp", *listen)
	checkError(err)
	addr := listener.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP.String(), addr.Port)

	go func() {
		io.Copy(io.Discard, os.Stdin)
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

// handleClient follows the book's (without its printing of each Person): ten rounds,
// errors ignored, then close.
func handleClient(conn net.Conn) {
	defer conn.Close()

	encoder := gob.NewEncoder(conn)
	decoder := gob.NewDecoder(conn)

	for n := 0; n < 10; n++ {
		var person Person
		decoder.Decode(&person)
		encoder.Encode(person)
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error ", err.Error())
		os.Exit(1)
	}
}
