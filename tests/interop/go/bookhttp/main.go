// Command bookhttp is the file server of chapter 8 of Jan Newmarch's "Network
// Programming with Go", for wirecert's http interop tests. It uses only the Go
// standard library.
//
// The handlers are the book's: http.FileServer over a directory at "/", and at
// "/cgi-bin/printenv" a handler that writes the server's whole process environment
// (os.Environ()) into the page -- which hands every client the server's secrets;
// wirecert's reference prints only request-derived CGI variables instead.
//
// Only the listening differs from the book (which serves /var/www on :8000): it
// serves -root (default the working directory) on -listen (default 127.0.0.1:0),
// prints one line to stdout,
//
//	listening tcp <host> <port>
//
// and serves with http.Serve and the default server settings (no timeouts) until
// it is killed (or, with -exit-on-stdin-eof, until its standard input ends).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	service := flag.String("listen", "127.0.0.1:0", "address to listen on (the book: :8000)")
	root := flag.String("root", ".", "the directory to serve (the book: /var/www)")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input is closed")
	flag.Parse()

	fileServer := http.FileServer(http.Dir(*root))
	http.Handle("/", fileServer)
	http.HandleFunc("/cgi-bin/printenv", printEnv)

	listener, err := net.Listen("tcp", *service)
	checkError(err)
	addr := listener.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP.String(), addr.Port)

	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	checkError(http.Serve(listener, nil))
}

// printEnv is the book's handler: the whole process environment, as a page.
func printEnv(writer http.ResponseWriter, req *http.Request) {
	env := os.Environ()
	writer.Write([]byte("<h1>Environment</h1>\n<pre>"))
	for _, v := range env {
		writer.Write([]byte(v + "\n"))
	}
	writer.Write([]byte("</pre>"))
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error ", err.Error())
		os.Exit(1)
	}
}
