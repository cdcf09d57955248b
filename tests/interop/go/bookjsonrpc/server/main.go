// Command server is the JSON-RPC Arith server of Newmarch, "Network Programming with
// Go", ch. 13 (JSONArithServer), standard library only, for wirecert's interop tests
// (tests/interop/test_jsonrpc_interop.py).
//
// As in the book, it registers Arith with net/rpc and calls jsonrpc.ServeConn on each
// accepted connection without "go": one client at a time. Two changes: it listens on
// 127.0.0.1 port 0 (or -listen) and prints "listening tcp 127.0.0.1 PORT" once bound;
// and it exits when its standard input closes, so it cannot outlive the test that
// started it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
)

type Args struct {
	A, B int
}

type Quotient struct {
	Quo, Rem int
}

type Arith int

func (t *Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

func (t *Arith) Divide(args *Args, quo *Quotient) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	quo.Quo = args.A / args.B
	quo.Rem = args.A % args.B
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()

	arith := new(Arith)
	rpc.Register(arith)

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
		jsonrpc.ServeConn(conn)
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error ", err.Error())
		os.Exit(1)
	}
}
