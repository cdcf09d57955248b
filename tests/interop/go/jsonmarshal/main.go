// Command jsonmarshal answers questions about Go's encoding/json for wirecert's
// interop tests (tests/interop/test_jsoncodec_go.py). It uses only the standard
// library.
//
// It reads one request per line from stdin and writes one answer line per request
// to stdout (flushed at once). Byte strings travel as lowercase hex.
//
//	M <tagged JSON>  json.Marshal of the tagged value:     OK <hex> | ERR <hex message>
//	U <hex>          json.Unmarshal into interface{}, then Marshal of it:
//	                 OK <hex> | SYN <offset> <hex message> | ERR <hex message>
//	S <hex>          json.Decoder over the bytes, Decode until io.EOF or a final error:
//	                 space-separated V:<hex Marshal of value>, E:<hex message> (an
//	                 error that does not end the stream), then END or FAIL:<hex message>
//	P <hex>          json.Unmarshal into a Person, then Marshal: OK <hex> | ERR <hex message>
//
// A tagged value is a JSON array: ["n"] nil, ["b", true], ["i", "<int64>"],
// ["I", "<big.Int>"], ["f", "<16 hex digits: float64 bits>"], ["s", "<hex>"] string,
// ["y", "<hex>"] []byte, ["Y"] nil []byte, ["l", [tagged...]] []interface{},
// ["m", [["<hex key>", tagged]...]] map[string]interface{},
// ["k", [["<int64>", tagged]...]] map[int64]interface{}.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
)

type Name struct {
	Family   string
	Personal string
}

type Email struct {
	Kind    string
	Address string
}

type Person struct {
	Name  Name
	Email []Email
}

func untag(t interface{}) (interface{}, error) {
	a, ok := t.([]interface{})
	if !ok || len(a) == 0 {
		return nil, fmt.Errorf("bad tagged value %v", t)
	}
	tag, _ := a[0].(string)
	arg := func() string {
		if len(a) < 2 {
			return ""
		}
		s, _ := a[1].(string)
		return s
	}
	switch tag {
	case "n":
		return nil, nil
	case "b":
		return a[1].(bool), nil
	case "i":
		return strconv.ParseInt(arg(), 10, 64)
	case "I":
		n, ok := new(big.Int).SetString(arg(), 10)
		if !ok {
			return nil, fmt.Errorf("bad big int %q", arg())
		}
		return n, nil
	case "f":
		bits, err := strconv.ParseUint(arg(), 16, 64)
		return math.Float64frombits(bits), err
	case "s":
		b, err := hex.DecodeString(arg())
		return string(b), err
	case "y":
		return hex.DecodeString(arg())
	case "Y":
		return []byte(nil), nil
	case "l":
		items, _ := a[1].([]interface{})
		out := make([]interface{}, 0, len(items))
		for _, item := range items {
			v, err := untag(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "m", "k":
		pairs, _ := a[1].([]interface{})
		ms := map[string]interface{}{}
		mk := map[int64]interface{}{}
		for _, p := range pairs {
			kv := p.([]interface{})
			v, err := untag(kv[1])
			if err != nil {
				return nil, err
			}
			if tag == "m" {
				k, err := hex.DecodeString(kv[0].(string))
				if err != nil {
					return nil, err
				}
				ms[string(k)] = v
			} else {
				k, err := strconv.ParseInt(kv[0].(string), 10, 64)
				if err != nil {
					return nil, err
				}
				mk[k] = v
			}
		}
		if tag == "m" {
			return ms, nil
		}
		return mk, nil
	}
	return nil, fmt.Errorf("unknown tag %q", tag)
}

func hx(s string) string { return hex.EncodeToString([]byte(s)) }

func answer(kind, arg string) string {
	switch kind {
	case "M":
		var t interface{}
		if err := json.Unmarshal([]byte(arg), &t); err != nil {
			return "BAD " + hx(err.Error())
		}
		v, err := untag(t)
		if err != nil {
			return "BAD " + hx(err.Error())
		}
		out, err := json.Marshal(v)
		if err != nil {
			return "ERR " + hx(err.Error())
		}
		return "OK " + hex.EncodeToString(out)
	case "U", "S", "P":
		data, err := hex.DecodeString(arg)
		if err != nil {
			return "BAD " + hx(err.Error())
		}
		switch kind {
		case "U":
			var v interface{}
			if err := json.Unmarshal(data, &v); err != nil {
				var se *json.SyntaxError
				if errors.As(err, &se) {
					return fmt.Sprintf("SYN %d %s", se.Offset, hx(se.Error()))
				}
				return "ERR " + hx(err.Error())
			}
			out, err := json.Marshal(v)
			if err != nil {
				return "BAD " + hx(err.Error())
			}
			return "OK " + hex.EncodeToString(out)
		case "P":
			var p Person
			if err := json.Unmarshal(data, &p); err != nil {
				return "ERR " + hx(err.Error())
			}
			out, _ := json.Marshal(p)
			return "OK " + hex.EncodeToString(out)
		default:
			dec := json.NewDecoder(strings.NewReader(string(data)))
			var parts []string
			for {
				var v interface{}
				err := dec.Decode(&v)
				if err == io.EOF {
					return strings.Join(append(parts, "END"), " ")
				}
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					parts = append(parts, "E:"+hx(err.Error()))
					continue
				}
				if err != nil {
					return strings.Join(append(parts, "FAIL:"+hx(err.Error())), " ")
				}
				out, err := json.Marshal(v)
				if err != nil {
					return "BAD " + hx(err.Error())
				}
				parts = append(parts, "V:"+hex.EncodeToString(out))
			}
		}
	}
	return "BAD " + hx("unknown request "+kind)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 256<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		line := in.Text()
		kind, arg, _ := strings.Cut(line, " ")
		fmt.Fprintln(out, answer(kind, arg))
		if err := out.Flush(); err != nil {
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
