// Command client is a JSON-RPC Arith client in the manner of the book's
// JSONArithClient (Newmarch, "Network Programming with Go", ch. 13), standard library
// only, for wirecert's interop tests (tests/interop/test_jsonrpc_interop.py).
//
// Usage: client HOST:PORT. With jsonrpc.Dial it calls Arith.Multiply(7, 8),
// Arith.Divide(17, 5), Arith.Divide(-17, 5) and Arith.Divide(1, 0), then 100
// Arith.Multiply calls at once with client.Go (pipelined on one connection), printing
// one line per result; it exits 0 if every answer is right, 1 otherwise. Every call
// is bounded by a deadline on the connection.
package main

import (
	"fmt"
	"net"
	"net/rpc/jsonrpc"
	"os"
	"time"
)

type Args struct {
	A, B int
}

type Quotient struct {
	Quo, Rem int
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "Usage: ", os.Args[0], "host:port")
		os.Exit(2)
	}
	conn, err := net.DialTimeout("tcp", os.Args[1], 5*time.Second)
	checkError(err)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	client := jsonrpc.NewClient(conn)
	defer client.Close()

	failed := false
	var product int
	err = client.Call("Arith.Multiply", Args{7, 8}, &product)
	checkError(err)
	fmt.Printf("Arith: 7*8=%d\n", product)
	failed = failed || product != 56

	for _, args := range []Args{{17, 5}, {-17, 5}} {
		var quot Quotient
		err = client.Call("Arith.Divide", args, &quot)
		checkError(err)
		fmt.Printf("Arith: %d/%d=%d remainder %d\n", args.A, args.B, quot.Quo, quot.Rem)
		failed = failed || quot.Quo != args.A/args.B || quot.Rem != args.A%args.B
	}

	var quot Quotient
	err = client.Call("Arith.Divide", Args{1, 0}, &quot)
	fmt.Printf("Arith: 1/0 error %v\n", err)
	failed = failed || err == nil || err.Error() != "divide by zero"

	replies := make([]int, 100)
	calls := make([]chan bool, 100)
	for i := range replies {
		done := client.Go("Arith.Multiply", Args{i, 3}, &replies[i], nil).Done
		calls[i] = make(chan bool, 1)
		go func(i int) {
			call := <-done
			calls[i] <- call.Error == nil
		}(i)
	}
	good := 0
	for i := range replies {
		if <-calls[i] && replies[i] == 3*i {
			good++
		}
	}
	fmt.Printf("Arith: %d of 100 pipelined calls right\n", good)
	failed = failed || good != 100

	if failed {
		os.Exit(1)
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error ", err.Error())
		os.Exit(1)
	}
}
