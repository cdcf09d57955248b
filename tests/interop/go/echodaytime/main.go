// Command echodaytime is an independent daytime (RFC 867) and echo (RFC 862)
// peer for wirecert's interop tests. It uses only the Go standard library.
//
// It listens on four ephemeral ports of -host (daytime TCP, daytime UDP,
// echo TCP, echo UDP), prints one line per listener to stdout:
//
//	listening <service> <tcp|udp> <host> <port>
//
// and then serves until it is killed (or, with -exit-on-stdin-eof, until its
// standard input reaches end of file, so it cannot outlive its parent).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// maxDatagram is the largest UDP payload that can be received.
const maxDatagram = 65535

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input is closed")
	flag.Parse()

	daytimeTCP := listenTCP(*host)
	daytimeUDP := listenUDP(*host)
	echoTCP := listenTCP(*host)
	echoUDP := listenUDP(*host)

	announce("daytime", "tcp", daytimeTCP.Addr())
	announce("daytime", "udp", daytimeUDP.LocalAddr())
	announce("echo", "tcp", echoTCP.Addr())
	announce("echo", "udp", echoUDP.LocalAddr())

	go serveTCP(daytimeTCP, daytimeConn)
	go serveDaytimeUDP(daytimeUDP)
	go serveTCP(echoTCP, echoConn)
	go serveEchoUDP(echoUDP)

	if *exitOnEOF {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	select {}
}

func fatal(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "echodaytime: "+format+"\n", args...)
	os.Exit(1)
}

func listenTCP(host string) *net.TCPListener {
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: parseIP(host), Port: 0})
	if err != nil {
		fatal("listen tcp: %v", err)
	}
	return l
}

func listenUDP(host string) *net.UDPConn {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: parseIP(host), Port: 0})
	if err != nil {
		fatal("listen udp: %v", err)
	}
	return c
}

func parseIP(host string) net.IP {
	ip := net.ParseIP(host)
	if ip == nil {
		fatal("-host must be an IP address, got %q", host)
	}
	return ip
}

// announce prints the ready line; os.Stdout is unbuffered, so it is flushed.
func announce(service, proto string, addr net.Addr) {
	var ip net.IP
	var port int
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, port = a.IP, a.Port
	case *net.UDPAddr:
		ip, port = a.IP, a.Port
	default:
		fatal("unexpected address type %T", addr)
	}
	fmt.Printf("listening %s %s %s %d\n", service, proto, ip.String(), port)
}

// serveTCP accepts connections forever, handling each in its own goroutine.
func serveTCP(l *net.TCPListener, handle func(*net.TCPConn)) {
	for {
		conn, err := l.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// E.g. EMFILE or ECONNABORTED: back off briefly and retry.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go handle(conn)
	}
}

// daytimeConn writes the time with no line ending and closes, as the
// DaytimeServer of "Network Programming with Go" (Newmarch) does.
func daytimeConn(conn *net.TCPConn) {
	defer conn.Close()
	_, _ = conn.Write([]byte(time.Now().String()))
}

// echoConn sends back everything it reads; when the client half-closes, it
// half-closes too (after the last byte) and then closes.
func echoConn(conn *net.TCPConn) {
	defer conn.Close()
	if _, err := io.Copy(conn, conn); err != nil {
		return
	}
	_ = conn.CloseWrite()
}

func serveDaytimeUDP(c *net.UDPConn) {
	buf := make([]byte, maxDatagram)
	for {
		_, addr, err := c.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond) // never spin on a persistent error
			continue
		}
		_, _ = c.WriteToUDP([]byte(time.Now().String()), addr)
	}
}

func serveEchoUDP(c *net.UDPConn) {
	buf := make([]byte, maxDatagram)
	for {
		n, addr, err := c.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond) // never spin on a persistent error
			continue
		}
		_, _ = c.WriteToUDP(buf[:n], addr)
	}
}
