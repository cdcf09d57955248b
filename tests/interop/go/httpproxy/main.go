// A forward proxy built on Go's standard library (net/http, net/http/httputil), with
// Basic proxy authentication and CONNECT tunnels: the proxy suite's Go peer.
//
// Plain requests go through httputil.ReverseProxy with an empty Director (the
// request-target is already absolute), so what reaches the origin is exactly what
// Go's library forwards. CONNECT is hijacked and piped.
//
// Prints "listening tcp HOST PORT" once it listens.
package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	credentials := flag.String("credentials", "wirecert:proxy-demo", "USER:PASSWORD clients must send")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input closes")
	flag.Parse()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(*credentials))

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	fmt.Printf("listening tcp %s %d\n", addr.IP, addr.Port)
	if *exitOnEOF {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}

	forward := &httputil.ReverseProxy{Director: func(r *http.Request) {}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != want {
			w.Header().Set("Proxy-Authenticate", `Basic realm="go proxy"`)
			http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
			return
		}
		if r.Method == http.MethodConnect {
			tunnel(w, r)
			return
		}
		if r.URL.Scheme == "" || r.URL.Host == "" {
			http.Error(w, "send an absolute-form request-target", http.StatusBadRequest)
			return
		}
		forward.ServeHTTP(w, r)
	})
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(server.Serve(ln))
}

func tunnel(w http.ResponseWriter, r *http.Request) {
	upstream, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer upstream.Close()
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot tunnel", http.StatusInternalServerError)
		return
	}
	client, buffered, err := hijacker.Hijack()
	if err != nil {
		return
	}
	defer client.Close()
	client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	if n := buffered.Reader.Buffered(); n > 0 {
		early, _ := buffered.Peek(n)
		upstream.Write(early)
	}
	done := make(chan struct{})
	go func() {
		io.Copy(upstream, client)
		upstream.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(client, upstream)
	<-done
}
