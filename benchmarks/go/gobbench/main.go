// gobbench: the Go side of benchmarks/gob_codec.py (standard library only).
//
//	gobbench RECORDS.jsonl
//
// loads Person records from a file of JSON lines (one record a line; not timed), then
// answers commands read from stdin, one line each, with one line of JSON on stdout:
//
//	trial            encode every record on one gob.Encoder into a bytes.Buffer, then
//	                 decode them all back with one gob.Decoder; the two loops are timed
//	                 separately with time.Now(). Untimed afterwards: the decoded records
//	                 must equal the loaded ones (reflect.DeepEqual).
//	                 -> {"encode_s": F, "decode_s": F, "bytes": N, "records": N}
//	encode OUT       write one gob.Encoder's stream of every record to file OUT
//	                 -> {"bytes": N, "records": N}
//	decode IN OUT    decode Person values from the gob stream in file IN until EOF and
//	                 write each as a line of JSON to file OUT ("Email" is [] when empty)
//	                 -> {"records": N}
//
// Any failure answers {"error": "..."}. End of stdin, or "quit", exits.
//
// gob's type ids are process-global: run "encode" before anything else so the stream
// gets the ids a fresh Python Encoder gives (65 upward), hence the same bytes.
package main

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"time"
)

type Name struct{ Family, Personal string }
type Email struct{ Kind, Address string }
type Person struct {
	Name  Name
	Email []Email
}

// canonical makes an empty Email slice nil (gob sends no empty slice, so a decoded
// record has nil where the JSON had []), for reflect.DeepEqual.
func canonical(p Person) Person {
	if len(p.Email) == 0 {
		p.Email = nil
	}
	return p
}

func loadRecords(path string) ([]Person, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []Person
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var p Person
		if err := json.Unmarshal(line, &p); err != nil {
			return nil, fmt.Errorf("record %d: %v", len(recs)+1, err)
		}
		recs = append(recs, canonical(p))
	}
	return recs, sc.Err()
}

func trial(recs []Person) (map[string]any, error) {
	runtime.GC() // start each trial from a collected heap

	start := time.Now()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return nil, fmt.Errorf("encode record %d: %v", i, err)
		}
	}
	encodeS := time.Since(start).Seconds()

	data := buf.Bytes()
	runtime.GC()

	start = time.Now()
	dec := gob.NewDecoder(bytes.NewReader(data))
	out := make([]Person, len(recs))
	for i := range out {
		if err := dec.Decode(&out[i]); err != nil {
			return nil, fmt.Errorf("decode record %d: %v", i, err)
		}
	}
	decodeS := time.Since(start).Seconds()

	for i := range out {
		if !reflect.DeepEqual(canonical(out[i]), recs[i]) {
			return nil, fmt.Errorf("record %d decoded as %#v, want %#v", i, out[i], recs[i])
		}
	}
	var extra Person
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, fmt.Errorf("after the last record: %v, want EOF", err)
	}
	return map[string]any{
		"encode_s": encodeS, "decode_s": decodeS, "bytes": len(data), "records": len(out),
	}, nil
}

func encodeTo(recs []Person, path string) (map[string]any, error) {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return nil, fmt.Errorf("encode record %d: %v", i, err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return map[string]any{"bytes": buf.Len(), "records": len(recs)}, nil
}

func decodeTo(in, out string) (map[string]any, error) {
	data, err := os.ReadFile(in)
	if err != nil {
		return nil, err
	}
	dec := gob.NewDecoder(bytes.NewReader(data))
	var lines bytes.Buffer
	n := 0
	for {
		var p Person
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("decode record %d: %v", n, err)
		}
		if p.Email == nil {
			p.Email = []Email{}
		}
		line, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		lines.Write(line)
		lines.WriteByte('\n')
		n++
	}
	if err := os.WriteFile(out, lines.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return map[string]any{"records": n}, nil
}

var stdout = bufio.NewWriter(os.Stdout)

// reply writes one line of JSON: result, or {"error": ...} when err is not nil.
func reply(result map[string]any, err error) {
	if err != nil {
		result = map[string]any{"error": err.Error()}
	}
	line, merr := json.Marshal(result)
	if merr != nil {
		line = []byte(fmt.Sprintf(`{"error": %q}`, merr.Error()))
	}
	stdout.Write(line)
	stdout.WriteByte('\n')
	stdout.Flush()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gobbench RECORDS.jsonl")
		os.Exit(2)
	}
	recs, err := loadRecords(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobbench:", err)
		os.Exit(1)
	}
	reply(map[string]any{"ready": true, "records": len(recs)}, nil)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0:
			continue
		case fields[0] == "quit":
			return
		case fields[0] == "trial" && len(fields) == 1:
			reply(trial(recs))
		case fields[0] == "encode" && len(fields) == 2:
			reply(encodeTo(recs, fields[1]))
		case fields[0] == "decode" && len(fields) == 3:
			reply(decodeTo(fields[1], fields[2]))
		default:
			reply(nil, fmt.Errorf("unknown command %q", sc.Text()))
		}
	}
}
