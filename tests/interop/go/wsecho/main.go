// Command wsecho is a WebSocket echo server on golang.org/x/net/websocket, the
// library of Newmarch, "Network Programming with Go", ch. 15, for wirecert's interop
// tests (tests/interop/test_websocket_interop.py).
//
// As in the book, websocket.Handler serves "/" (so the default handshake checks
// Origin) and each connection is echoed until Receive fails. One change from the
// book's EchoServer, which receives into a string (every echo then a text frame): a
// Codec that keeps each frame's payload type, so binary comes back as binary, as the
// websocket suite asks of a target. It listens on 127.0.0.1 port 0 (or -listen),
// prints "listening tcp 127.0.0.1 PORT" once bound, and exits when its standard input
// closes, so it cannot outlive the test that started it.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"golang.org/x/net/websocket"
)

type frame struct {
	data []byte
	kind byte
}

var echoCodec = websocket.Codec{
	Marshal: func(v interface{}) ([]byte, byte, error) {
		f := v.(frame)
		return f.data, f.kind, nil
	},
	Unmarshal: func(msg []byte, kind byte, v interface{}) error {
		f := v.(*frame)
		f.data = msg
		f.kind = kind
		return nil
	},
}

func echo(ws *websocket.Conn) {
	for {
		var f frame
		if err := echoCodec.Receive(ws, &f); err != nil {
			return
		}
		if err := echoCodec.Send(ws, f); err != nil {
			return
		}
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	addr := listener.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP.String(), addr.Port)

	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()

	http.Handle("/", websocket.Handler(echo))
	http.Serve(listener, nil)
}
