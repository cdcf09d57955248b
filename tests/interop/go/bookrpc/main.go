// Command bookrpc: the Arith servers and client of Newmarch, "Network Programming
// with Go", chapter 13 (Go's net/rpc with gob), for wirecert's interop tests.
//
//	bookrpc -mode tcp    [-listen 127.0.0.1:0]  the book's TCPArithServer
//	bookrpc -mode http   [-listen 127.0.0.1:0]  the book's ArithServer (HandleHTTP)
//	bookrpc -mode client -addr HOST:PORT [-http] [-calls N] [-window W]
//
// The servers print "listening tcp HOST PORT" once they listen and exit when stdin
// reaches EOF. As in the book, the TCP server serves one connection at a time
// (rpc.ServeConn without go). The client makes the book's calls and prints one line
// each; with -calls it then makes N more Multiply calls, at most W outstanding, and
// prints "calls N seconds S".
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"time"
)

// Values is the book's argument struct (gob matches Args{A, B} by field name).
type Values struct {
	A, B int
}

// Args is the client's argument struct, as in Go's package documentation.
type Args struct {
	A, B int
}

type Quotient struct {
	Quo, Rem int
}

type Arith int

func (t *Arith) Multiply(args *Values, reply *int) error {
	*reply = args.A * args.B
	return nil
}

func (t *Arith) Divide(args *Values, quo *Quotient) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	quo.Quo = args.A / args.B
	quo.Rem = args.A % args.B
	return nil
}

func exitOnStdinEOF() {
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
}

func listen(address string) net.Listener {
	l, err := net.Listen("tcp", address)
	if err != nil {
		log.Fatal("listen error:", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP, addr.Port)
	return l
}

func serveTCP(address string) {
	rpc.Register(new(Arith))
	l := listen(address)
	for {
		conn, err := l.Accept()
		if err != nil {
			continue
		}
		rpc.ServeConn(conn) // the book's server: one client at a time
	}
}

func serveHTTP(address string) {
	rpc.Register(new(Arith))
	rpc.HandleHTTP()
	l := listen(address)
	log.Fatal(http.Serve(l, nil))
}

func client(addr string, overHTTP bool, calls, window int) {
	var c *rpc.Client
	var err error
	if overHTTP {
		c, err = rpc.DialHTTP("tcp", addr)
	} else {
		c, err = rpc.Dial("tcp", addr)
	}
	if err != nil {
		log.Fatal("dialing:", err)
	}
	args := Args{17, 8}
	var reply int
	if err = c.Call("Arith.Multiply", args, &reply); err != nil {
		log.Fatal("arith error:", err)
	}
	fmt.Printf("Arith: %d*%d=%d\n", args.A, args.B, reply)
	var quot Quotient
	if err = c.Call("Arith.Divide", args, &quot); err != nil {
		log.Fatal("arith error:", err)
	}
	fmt.Printf("Arith: %d/%d=%d remainder %d\n", args.A, args.B, quot.Quo, quot.Rem)
	err = c.Call("Arith.Divide", Args{1, 0}, &quot)
	fmt.Printf("error: %v\n", err)
	err = c.Call("Arith.Nope", args, &reply)
	fmt.Printf("error: %v\n", err)
	if calls > 0 {
		started := time.Now()
		done := make(chan *rpc.Call, window)
		outstanding, sent, received := 0, 0, 0
		replies := make([]int, calls)
		for received < calls {
			for outstanding < window && sent < calls {
				c.Go("Arith.Multiply", Args{sent, 3}, &replies[sent], done)
				sent++
				outstanding++
			}
			call := <-done
			if call.Error != nil {
				log.Fatal("arith error:", call.Error)
			}
			outstanding--
			received++
		}
		for i, r := range replies {
			if r != 3*i {
				log.Fatalf("call %d: %d, not %d", i, r, 3*i)
			}
		}
		fmt.Printf("calls %d seconds %f\n", calls, time.Since(started).Seconds())
	}
	c.Close()
}

func main() {
	mode := flag.String("mode", "tcp", "tcp, http or client")
	address := flag.String("listen", "127.0.0.1:0", "address to listen on (servers)")
	addr := flag.String("addr", "", "server address (client)")
	overHTTP := flag.Bool("http", false, "dial over HTTP CONNECT (client)")
	calls := flag.Int("calls", 0, "Multiply calls to time after the book's (client)")
	window := flag.Int("window", 64, "calls outstanding at most (client)")
	flag.Parse()
	switch *mode {
	case "tcp":
		exitOnStdinEOF()
		serveTCP(*address)
	case "http":
		exitOnStdinEOF()
		serveHTTP(*address)
	case "client":
		client(*addr, *overHTTP, *calls, *window)
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
}
