// gobcorpus: the Go side of the gob interop tests (standard library only).
//
//	gobcorpus list              print the case names, one per line
//	gobcorpus encode NAME       print the hex of a fresh Encoder's output for case NAME
//	gobcorpus decode NAME       read hex from stdin, decode it as case NAME's type with
//	                            a fresh Decoder (all values until EOF), and print
//	                            "OK <hex of re-encoding>" when every value equals the
//	                            corpus value, else "DIFF <%#v>" or "ERR <quoted error>"
//	gobcorpus check             read lines "NAME HEX" from stdin; for each, decode values
//	                            of case NAME's first type until the input ends, and print
//	                            one line: "V <hex of a fresh re-encoding>" per value, then
//	                            "EOF" or "ERR <hex of the error text>" (differential fuzzing)
//
// Run "encode" once per process: gob's type ids are process-global, so a fresh
// process gives the ids a fresh Python Encoder gives (65 upward).
package main

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"reflect"
	"sort"
	"strings"
)

type T struct {
	A int
	B string
}

type Point struct{ X, Y int }

type Name struct{ Family, Personal string }
type Email struct{ Kind, Address string }
type Person struct {
	Name  Name
	Email []Email
}

type Inner struct {
	S string
	N int
}

// Temp is a BinaryMarshaler (not a GobEncoder): two bytes, big-endian.
type Temp struct{ v uint16 }

func (t Temp) MarshalBinary() ([]byte, error) { return []byte{byte(t.v >> 8), byte(t.v)}, nil }
func (t *Temp) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return errors.New("Temp: want 2 bytes")
	}
	t.v = uint16(b[0])<<8 | uint16(b[1])
	return nil
}

type All struct {
	B       bool
	I       int
	I8      int8
	I16     int16
	I32     int32
	I64     int64
	U       uint
	U8      uint8
	U16     uint16
	U32     uint32
	U64     uint64
	Uptr    uintptr
	F32     float32
	F64     float64
	C64     complex64
	C128    complex128
	Str     string
	Bytes   []byte
	Ints    []int
	Strs    []string
	Arr     [3]int
	ByteArr [4]byte
	M       map[string]int
	MI      map[int]Inner
	P       *int
	PS      *Inner
	In      Inner
	Ins     []Inner
	Nested  [][]string
	Any     interface{}
	AnyNil  interface{}
	Big     *big.Int
	Temp    Temp
	hidden  int
	Ch      chan int
}

type S struct {
	V interface{}
	Z int
}

type Node struct {
	V    int
	Next *Node
}

// B is a struct with a *big.Int field: nil is left out, a non-nil zero is sent.
type B struct {
	X *big.Int
	Y int
}

// E has the zero-ish values gob treats differently: a non-nil empty map is sent,
// an empty slice and a nil pointer are not.
type E struct {
	M map[string]int
	P *int
	S []int
}

type Many struct {
	Vs []interface{}
}

func seven() *int { x := 7; return &x }

func all() All {
	return All{
		B: true, I: -1, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MinInt64,
		U: 1, U8: math.MaxUint8, U16: 256, U32: math.MaxUint32, U64: math.MaxUint64, Uptr: 12345,
		F32: 1.5, F64: -17.25, C64: complex(1, -2), C128: complex(0.5, 1e300),
		Str: "héllo, 世界", Bytes: []byte{0, 1, 255}, Ints: []int{1, -2, 3}, Strs: []string{"a", "", "bc"},
		Arr: [3]int{0, 5, 0}, ByteArr: [4]byte{1, 2, 3, 4},
		M: map[string]int{"one": 1}, MI: map[int]Inner{-3: {"x", 9}},
		P: seven(), PS: &Inner{"p", 0}, In: Inner{"in", -1},
		Ins: []Inner{{"a", 1}, {}, {"c", 3}}, Nested: [][]string{{"a"}, {}, {"b", "c"}},
		Any: Point{3, 4}, Big: big.NewInt(-1 << 62), Temp: Temp{0x1234},
	}
}

type gobCase struct {
	value  interface{}
	target func() interface{} // a pointer to a fresh value of the case's type
	stream []interface{}      // several values on one Encoder (value is then unused)
}

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

func ptr[X any]() func() interface{} { return func() interface{} { return new(X) } }

var cases = map[string]gobCase{
	"int7":      {value: 7, target: ptr[int]()},
	"int_neg":   {value: -129, target: ptr[int]()},
	"int64_min": {value: int64(math.MinInt64), target: ptr[int64]()},
	"int8":      {value: int8(-128), target: ptr[int8]()},
	"uint_max":  {value: uint64(math.MaxUint64), target: ptr[uint64]()},
	"uint16":    {value: uint16(256), target: ptr[uint16]()},
	"bool":      {value: true, target: ptr[bool]()},
	"float":     {value: 17.0, target: ptr[float64]()},
	"float32":   {value: float32(1.5), target: ptr[float32]()},
	"complex":   {value: complex(1, 2), target: ptr[complex128]()},
	"complex64": {value: complex64(complex(-0.5, 4)), target: ptr[complex64]()},
	"string":    {value: "héllo", target: ptr[string]()},
	"bytes":     {value: []byte{0, 1, 255}, target: ptr[[]byte]()},
	"strings":   {value: []string{"a", "bc"}, target: ptr[[]string]()},
	"array":     {value: [2]int{0, 5}, target: ptr[[2]int]()},
	"map":       {value: map[string]int{"a": 1}, target: ptr[map[string]int]()},
	"map_multi": {value: map[int]string{1: "a", 2: "b", 3: "c"}, target: ptr[map[int]string]()},
	"T":         {value: T{7, "hi"}, target: ptr[T]()},
	"Point":     {value: Point{22, 33}, target: ptr[Point]()},
	"Person": {value: Person{Name{"Newmarch", "Jan"}, []Email{
		{"home", "jan@newmarch.name"}, {"work", "j.newmarch@boxhill.edu.au"}}}, target: ptr[Person]()},
	"big":            {value: big.NewInt(1000), target: ptr[*big.Int]()},
	"big_neg":        {value: bigInt("-123456789012345678901234567890"), target: ptr[*big.Int]()},
	"big_zero":       {value: big.NewInt(0), target: ptr[*big.Int]()},
	"big_field_zero": {value: B{big.NewInt(0), 1}, target: ptr[B]()},
	"big_field_nil":  {value: B{nil, 1}, target: ptr[B]()},
	"empty_map":      {value: E{map[string]int{}, nil, []int{}}, target: ptr[E]()},
	"all":            {value: all(), target: ptr[All]()},
	"all_zero":       {value: All{}, target: ptr[All]()},
	"iface":          {value: S{Point{1, 2}, 5}, target: ptr[S]()},
	"iface_int":      {value: S{7, 5}, target: ptr[S]()},
	"iface_nil":      {value: S{nil, 5}, target: ptr[S]()},
	"ifaces": {value: Many{[]interface{}{1, "x", Point{3, 4}, nil, []string{"s"}, 2.5, Point{5, 6}}},
		target: ptr[Many]()},
	"node":           {value: Node{1, &Node{2, &Node{3, nil}}}, target: ptr[Node]()},
	"map_struct_key": {value: map[Point]string{{1, 2}: "a"}, target: ptr[map[Point]string]()},
	"array_structs":  {value: [2]Point{{1, 2}, {}}, target: ptr[[2]Point]()},
	"iface_bytes":    {value: S{[]byte{1, 2}, 0}, target: ptr[S]()},
	"iface_map":      {value: S{map[string]int{"a": 1}, 0}, target: ptr[S]()},
	"iface_big":      {value: S{big.NewInt(-5), 0}, target: ptr[S]()},
	"iface_int8":     {value: S{int8(-5), 0}, target: ptr[S]()},
	"iface_nested": {value: S{Many{[]interface{}{Point{1, 2}, S{[]int{1}, 3}, S{Point{5, 6}, 0}}}, 4},
		target: ptr[S]()},
	"stream": {stream: []interface{}{T{1, "a"}, T{}, S{Point{1, 2}, 0}, S{Point{3, 4}, 1}, 42},
		target: nil},
}

// The stream case's values, decoded in order.
var streamTargets = []func() interface{}{ptr[T](), ptr[T](), ptr[S](), ptr[S](), ptr[int]()}

func init() {
	gob.RegisterName("main.Point", Point{})
	gob.RegisterName("main.S", S{})
	gob.RegisterName("main.Many", Many{})
	gob.Register(map[string]int{}) // as "map[string]int"
	gob.Register(big.NewInt(0))    // as "*big.Int"
}

func encode(name string) ([]byte, error) {
	c, ok := cases[name]
	if !ok {
		return nil, fmt.Errorf("no case %q", name)
	}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	values := c.stream
	if values == nil {
		values = []interface{}{c.value}
	}
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func decode(name string, data []byte) string {
	c, ok := cases[name]
	if !ok {
		return fmt.Sprintf("ERR %q", "no case "+name)
	}
	dec := gob.NewDecoder(bytes.NewReader(data))
	want := c.stream
	targets := streamTargets
	if want == nil {
		want = []interface{}{c.value}
		targets = []func() interface{}{c.target}
	}
	var got []interface{}
	for i := 0; ; i++ {
		if i >= len(targets) {
			var extra interface{}
			if err := dec.Decode(&extra); err != io.EOF {
				return fmt.Sprintf("ERR %q", fmt.Sprintf("more than %d values (%v)", len(targets), err))
			}
			break
		}
		p := targets[i]()
		if err := dec.Decode(p); err != nil {
			return fmt.Sprintf("ERR %q", err.Error())
		}
		got = append(got, reflect.ValueOf(p).Elem().Interface())
	}
	for i := range want {
		if !equal(want[i], got[i]) {
			return fmt.Sprintf("DIFF %q", fmt.Sprintf("value %d: %#v", i, got[i]))
		}
	}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for _, v := range got {
		if err := enc.Encode(v); err != nil {
			return fmt.Sprintf("ERR %q", err.Error())
		}
	}
	return "OK " + hex.EncodeToString(buf.Bytes())
}

// equal is reflect.DeepEqual, except that big.Ints compare by value and a nil and
// an empty slice or map are the same (gob does not tell them apart).
func equal(a, b interface{}) bool {
	return reflect.DeepEqual(normalize(reflect.ValueOf(a)), normalize(reflect.ValueOf(b)))
}

func normalize(v reflect.Value) interface{} {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == reflect.TypeOf((*big.Int)(nil)) {
		if v.IsNil() {
			return "big:0"
		}
		return "big:" + v.Interface().(*big.Int).String()
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return []interface{}{"ptr", normalize(v.Elem())}
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return []interface{}{"iface", v.Elem().Type().String(), normalize(v.Elem())}
	case reflect.Slice, reflect.Array:
		out := []interface{}{}
		for i := 0; i < v.Len(); i++ {
			out = append(out, normalize(v.Index(i)))
		}
		return out
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool {
			return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface())
		})
		out := []interface{}{}
		for _, k := range keys {
			out = append(out, normalize(k), normalize(v.MapIndex(k)))
		}
		return out
	case reflect.Struct:
		out := []interface{}{v.Type().String()}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && v.Field(i).Kind() != reflect.Chan {
				out = append(out, normalize(v.Field(i)))
			} else if v.Type() == reflect.TypeOf(Temp{}) {
				out = append(out, v.Field(i).Uint())
			}
		}
		return out
	}
	return v.Interface()
}

func check(line string) string {
	name, hexdata, _ := strings.Cut(line, " ")
	c, ok := cases[name]
	if !ok {
		return fmt.Sprintf("ERR %q", "no case "+name)
	}
	data, err := hex.DecodeString(hexdata)
	if err != nil {
		return fmt.Sprintf("ERR %q", err.Error())
	}
	target := c.target
	if target == nil {
		target = streamTargets[0]
	}
	dec := gob.NewDecoder(bytes.NewReader(data))
	var out []string
	for {
		p := target()
		err := dec.Decode(p)
		if err == io.EOF {
			return strings.Join(append(out, "EOF"), " ")
		}
		if err != nil {
			return strings.Join(append(out, "ERR "+hex.EncodeToString([]byte(err.Error()))), " ")
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(reflect.ValueOf(p).Elem().Interface()); err != nil {
			out = append(out, "V ?")
		} else {
			out = append(out, "V "+hex.EncodeToString(buf.Bytes()))
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobcorpus list | encode NAME | decode NAME")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "list":
		var names []string
		for n := range cases {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
	case "encode":
		data, err := encode(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(hex.EncodeToString(data))
	case "decode":
		in, err := io.ReadAll(bufio.NewReader(os.Stdin))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		data, err := hex.DecodeString(strings.TrimSpace(string(in)))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(decode(os.Args[2], data))
	case "check":
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 1<<20), 1<<26)
		out := bufio.NewWriter(os.Stdout)
		for scanner.Scan() {
			func() {
				defer func() {
					if r := recover(); r != nil {
						fmt.Fprintf(out, "PANIC %q\n", fmt.Sprint(r))
					}
				}()
				fmt.Fprintln(out, check(scanner.Text()))
			}()
		}
		out.Flush()
	default:
		os.Exit(2)
	}
}
