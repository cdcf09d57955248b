// Command utf16server2 is the UTF-16 server of Newmarch, "Network Programming with
// Go", chapter 6, edition 2: a byte order mark, then each UTF-16 code unit of
// "j'ai arrêté" big-endian, two bytes per write, then close. Standard library only.
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
	"unicode/utf16"
)

// The second edition's BOM: '\ufeff' written high byte first is FE FF, which
// announces big-endian, as the code units below are written: standard.
const BOM = '\ufeff'

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
		str := "j'ai arrêté"
		shorts := utf16.Encode([]rune(str))
		writeShorts(conn, shorts)
		conn.Close() // we're finished
	}
}

func writeShorts(conn net.Conn, shorts []uint16) {
	var bytes [2]byte
	// send the BOM as first two bytes
	bytes[0] = BOM >> 8
	bytes[1] = BOM & 255
	_, err := conn.Write(bytes[0:])
	if err != nil {
		return
	}
	for _, v := range shorts {
		bytes[0] = byte(v >> 8)
		bytes[1] = byte(v & 255)
		_, err = conn.Write(bytes[0:])
		if err != nil {
			return
		}
	}
}

func checkError(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "Fatal error", err.Error())
		os.Exit(1)
	}
}
