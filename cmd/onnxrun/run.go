package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onnxrun/onnxrun"
	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"github.com/onnxrun/onnxrun/tensorio"
)

func init() {
	register(command{name: "run", summary: "run a model on input files: run MODEL INPUT... [-o DIR]", run: runCmd})
}

const runUsage = `usage: onnxrun run MODEL [INPUT...] [flags]    (or: onnxrun MODEL INPUT...)

Each INPUT is a file for the next model input, in the model's input order, or
NAME=FILE for the input called NAME. A file is .npy, .pb (a TensorProto, or a
SequenceProto / OptionalProto for a sequence or optional input), or .npz
(arrays keyed by input name). A uint16 array given for a bfloat16 input is
taken as bfloat16 bit patterns (numpy has no bfloat16). Flags may go anywhere on the line.

  --random          fill inputs not given from their declared shapes (random values)
  --dim NAME=VALUE  bind a symbolic dim (repeatable); inputs given must agree
  --seed N          seed for --random (default 0)
  --threads N       goroutines per operator (default: all cores)
  --no-tune         keep each Conv's default algorithm (no measuring, no tuning cache)
  -o DIR            write each output to DIR and DIR/outputs.json (name -> file)
  --format npy|pb   output files: NAME.npy (default) or output_I.pb (ONNX test data);
                    sequence and optional outputs are always written as .pb
`

// runOptions are the parsed flags and arguments of run (and bench).
type runOptions struct {
	model   string
	inputs  []string
	random  bool
	dims    map[string]int
	seed    uint64
	threads int
	noTune  bool
	outDir  string
	format  string
	limit   limitOptions
	// bench only: --profile file, nodes to print, --opt-level (-1: default),
	// the profile being collected and where progress goes.
	profile  string
	top      int
	optLevel int
	prof     *profiler
	stderr   io.Writer
}

// flagSet parses GNU-style flags anywhere on the line: -x V, --x V, --x=V;
// "--" ends the flags. bools take no value.
type flagSet struct {
	bools   map[string]*bool
	strs    map[string]func(string) error
	aliases map[string]string
}

func newFlagSet() *flagSet {
	return &flagSet{bools: map[string]*bool{}, strs: map[string]func(string) error{}, aliases: map[string]string{}}
}

func (f *flagSet) boolFlag(p *bool, names ...string) {
	for _, n := range names {
		f.bools[n] = p
	}
}

func (f *flagSet) valueFlag(set func(string) error, names ...string) {
	for _, n := range names {
		f.strs[n] = set
	}
}

func (f *flagSet) intFlag(p *int, names ...string) {
	f.valueFlag(func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		*p = v
		return nil
	}, names...)
}

// parse returns the positional arguments; help is set for -h/--help.
func (f *flagSet) parse(args []string) (pos []string, help bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), false, nil
		}
		if len(a) < 2 || a[0] != '-' || (a[1] >= '0' && a[1] <= '9') {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, val, hasVal = name[:k], name[k+1:], true
		}
		if name == "h" || name == "help" {
			return nil, true, nil
		}
		if p, ok := f.bools[name]; ok {
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return nil, false, fmt.Errorf("%w: flag %s takes no value", errUsage, a)
				}
				*p = b
			} else {
				*p = true
			}
			continue
		}
		set, ok := f.strs[name]
		if !ok {
			return nil, false, fmt.Errorf("%w: unknown flag %s", errUsage, a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, false, fmt.Errorf("%w: flag %s needs a value", errUsage, a)
			}
			i++
			val = args[i]
		}
		if err := set(val); err != nil {
			return nil, false, fmt.Errorf("%w: flag -%s: %v", errUsage, name, err)
		}
	}
	return pos, false, nil
}

// commonFlags registers the flags run and bench share.
func commonFlags(f *flagSet, o *runOptions) {
	o.dims = map[string]int{}
	f.boolFlag(&o.random, "random")
	f.intFlag(&o.threads, "threads", "t")
	f.boolFlag(&o.noTune, "no-tune")
	f.valueFlag(func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		o.seed = v
		return err
	}, "seed")
	f.valueFlag(func(s string) error {
		name, val, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(val)
		if !ok || name == "" || err != nil || n < 0 {
			return fmt.Errorf("want NAME=VALUE with VALUE >= 0, got %q", s)
		}
		o.dims[name] = n
		return nil
	}, "dim", "d")
	limitFlags(f, &o.limit)
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer recoverTo(stderr, "run", &code)
	var o runOptions
	f := newFlagSet()
	commonFlags(f, &o)
	f.valueFlag(func(s string) error { o.outDir = s; return nil }, "o", "out", "output")
	f.valueFlag(func(s string) error {
		if s != "npy" && s != "pb" {
			return fmt.Errorf("want npy or pb, got %q", s)
		}
		o.format = s
		return nil
	}, "format")
	pos, help, err := f.parse(args)
	if help {
		fmt.Fprint(stdout, runUsage+limitUsage)
		return exitOK
	}
	if err == nil && len(pos) == 0 {
		err = fmt.Errorf("%w: no model given", errUsage)
	}
	if err != nil {
		fmt.Fprint(stderr, runUsage)
		return fail(stderr, "run", err)
	}
	o.model, o.inputs = pos[0], pos[1:]
	if err := runModel(ctx, &o, stdout); err != nil {
		return fail(stderr, "run", cliError(err))
	}
	return exitOK
}

// recoverTo turns a panic (a bug) into a one-line error and exit status 1,
// so that no input ever shows the user a stack trace.
func recoverTo(stderr io.Writer, cmd string, code *int) {
	if r := recover(); r != nil {
		*code = fail(stderr, cmd, fmt.Errorf("internal error: %v", r))
	}
}

// cliError drops the "onnxrun: " prefix of the executor's errors, which
// reads as a stutter after the command's own "onnxrun run: ".
func cliError(err error) error {
	msg, ok := strings.CutPrefix(err.Error(), "onnxrun: ")
	if !ok || errors.Is(err, errUsage) {
		return err
	}
	return errors.New(msg)
}

func runModel(ctx context.Context, o *runOptions, stdout io.Writer) error {
	t0 := time.Now()
	s, err := onnxrun.Open(o.model, append(o.limit.options(), onnxrun.WithThreads(o.threads), onnxrun.WithTuning(!o.noTune))...)
	if err != nil {
		return err
	}
	defer s.Close()
	load := time.Since(t0)
	in, err := loadInputs(s, o)
	if err != nil {
		return err
	}
	t1 := time.Now()
	rctx, cancel := o.limit.context(ctx)
	defer cancel()
	out, err := s.RunValues(rctx, in)
	if err != nil {
		return o.limit.stopped(err)
	}
	elapsed := time.Since(t1)
	infos := s.Outputs()
	for _, info := range infos {
		printSummary(stdout, info.Name, out[info.Name])
	}
	fmt.Fprintf(stdout, "load %s, run %s\n", fmtDur(load), fmtDur(elapsed))
	if o.outDir != "" {
		return writeOutputs(o.outDir, o.format, infos, out)
	}
	return nil
}

func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64) + " ms"
}

// loadInputs reads the input files (and, with --random, makes up the rest)
// as values keyed by input name; the session checks them.
func loadInputs(s *onnxrun.Session, o *runOptions) (map[string]ops.Value, error) {
	all := s.AllInputs()
	byName := map[string]onnxrun.Info{}
	for _, in := range all {
		byName[in.Name] = in
	}
	vals := map[string]ops.Value{}
	var positional []string
	for _, a := range o.inputs {
		if name, path, ok := strings.Cut(a, "="); ok && path != "" {
			if _, known := byName[name]; known {
				if _, dup := vals[name]; dup {
					return nil, fmt.Errorf("%w: input %q given twice", errUsage, name)
				}
				v, err := readInput(byName[name], path)
				if err != nil {
					return nil, err
				}
				vals[name] = v
				continue
			}
			if _, err := os.Stat(a); err != nil {
				return nil, &onnxrun.InputError{Name: name, Detail: "the model's inputs are " + quoteNames(all)}
			}
		}
		positional = append(positional, a)
	}
	feeds := s.Inputs()
	next := 0
	nextFeed := func() (onnxrun.Info, bool) {
		for ; next < len(feeds); next++ {
			if _, done := vals[feeds[next].Name]; !done {
				next++
				return feeds[next-1], true
			}
		}
		return onnxrun.Info{}, false
	}
	for _, path := range positional {
		if strings.EqualFold(filepath.Ext(path), ".npz") {
			if err := readNPZInputs(path, byName, feeds, vals); err != nil {
				return nil, err
			}
			continue
		}
		in, ok := nextFeed()
		if !ok {
			return nil, fmt.Errorf("%w: %d input files for a model with %d inputs (%s)", errUsage, len(positional), len(feeds), quoteNames(feeds))
		}
		v, err := readInput(in, path)
		if err != nil {
			return nil, err
		}
		vals[in.Name] = v
	}
	if err := checkDims(feeds, vals, o.dims); err != nil {
		return nil, err
	}
	if o.random {
		rng := rand.New(rand.NewPCG(o.seed, 0x6f6e6e78))
		for _, in := range feeds {
			if _, done := vals[in.Name]; done {
				continue
			}
			v, err := randomInput(in, o.dims, rng)
			if err != nil {
				return nil, err
			}
			vals[in.Name] = v
		}
	}
	return vals, nil
}

func quoteNames(infos []onnxrun.Info) string {
	if len(infos) == 0 {
		return "none"
	}
	q := make([]string, len(infos))
	for i, in := range infos {
		q[i] = strconv.Quote(in.Name)
	}
	return strings.Join(q, ", ")
}

// readInput reads the file for one input; errors name the input and what
// it wants.
func readInput(in onnxrun.Info, path string) (ops.Value, error) {
	bad := func(err error) error {
		return &onnxrun.InputError{Name: in.Name, Want: in.String(), Got: path, Detail: err.Error()}
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".pb" && (in.Kind == onnxrun.KindSequence || in.Kind == onnxrun.KindOptional) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, bad(err)
		}
		var v ops.Value
		if in.Kind == onnxrun.KindSequence {
			v, err = decodeSequence(b, in.DType)
		} else {
			v, err = decodeOptional(b, in.DType)
		}
		if err != nil {
			return nil, bad(err)
		}
		return v, nil
	}
	if ext == ".npz" {
		return nil, bad(errors.New("give an .npz file without NAME= (its arrays are named by input)"))
	}
	ts, err := tensorio.ReadFile(path)
	if err != nil {
		return nil, bad(err)
	}
	if len(ts) != 1 {
		return nil, bad(fmt.Errorf("%d tensors in the file, want 1", len(ts)))
	}
	t, err := ops.FromGraph(ts[0])
	if err != nil {
		return nil, bad(err)
	}
	return asBFloat16(in, t), nil
}

// asBFloat16 takes a uint16 tensor given for a bfloat16 input as bfloat16
// bit patterns: numpy has no bfloat16, so .npy files (and the ONNX 1.12
// test data) hold such tensors as uint16.
func asBFloat16(in onnxrun.Info, t *ops.Tensor) *ops.Tensor {
	u, ok := t.Data.([]uint16)
	if !ok || in.DType != graph.BFloat16 || in.Kind != onnxrun.KindTensor {
		return t
	}
	b := make([]graph.BFloat16Value, len(u))
	for i, v := range u {
		b[i] = graph.BFloat16Value(v)
	}
	return &ops.Tensor{DType: graph.BFloat16, Shape: t.Shape, Data: b}
}

// readNPZInputs reads the arrays of an .npz file: by input name, or, when
// none of its keys is an input name (numpy.savez without names: arr_0,
// arr_1, ...), in input order.
func readNPZInputs(path string, byName map[string]onnxrun.Info, feeds []onnxrun.Info, vals map[string]ops.Value) error {
	ts, err := tensorio.ReadFile(path)
	if err != nil {
		return err
	}
	named := false
	for _, t := range ts {
		if _, ok := byName[t.Name]; ok {
			named = true
		}
	}
	for i, t := range ts {
		name := t.Name
		if !named {
			if i >= len(feeds) {
				return fmt.Errorf("%w: %s holds %d arrays for a model with %d inputs", errUsage, path, len(ts), len(feeds))
			}
			name = feeds[i].Name
		} else if _, ok := byName[name]; !ok {
			return fmt.Errorf("%s: array %q is not a model input (inputs: %s)", path, name, quoteNames(feeds))
		}
		if _, dup := vals[name]; dup {
			return fmt.Errorf("%w: input %q given twice", errUsage, name)
		}
		v, err := ops.FromGraph(t)
		if err != nil {
			return &onnxrun.InputError{Name: name, Want: byName[name].String(), Got: path, Detail: err.Error()}
		}
		vals[name] = asBFloat16(byName[name], v)
	}
	return nil
}

// checkDims checks the tensors given against the --dim bindings.
func checkDims(feeds []onnxrun.Info, vals map[string]ops.Value, dims map[string]int) error {
	for _, in := range feeds {
		t, ok := vals[in.Name].(*ops.Tensor)
		if !ok || !in.RankKnown || len(t.Shape) != len(in.Shape) {
			continue // the session reports the mismatch
		}
		for j, d := range in.Shape {
			if v, ok := dims[d.Name]; ok && d.Name != "" && t.Shape[j] != v {
				return &onnxrun.InputError{Name: in.Name, Want: in.String(), Got: fmt.Sprintf("%s%v", t.DType, t.Shape),
					Detail: fmt.Sprintf("dim %d is %d, but --dim %s=%d", j, t.Shape[j], d.Name, v)}
			}
		}
	}
	return nil
}

// randomInput makes a tensor of the declared type and shape: floats from a
// standard normal distribution, integers in [0, 10), random bools.
func randomInput(in onnxrun.Info, dims map[string]int, rng *rand.Rand) (ops.Value, error) {
	if in.Kind != onnxrun.KindTensor {
		return nil, fmt.Errorf("input %q: --random cannot make a %s (%s)", in.Name, in.Kind, in)
	}
	if !in.RankKnown {
		return nil, fmt.Errorf("input %q: --random needs a declared shape, the model gives %s", in.Name, in)
	}
	shape := make([]int, len(in.Shape))
	for j, d := range in.Shape {
		switch {
		case d.Size >= 0:
			shape[j] = int(d.Size)
		case d.Name != "":
			v, ok := dims[d.Name]
			if !ok {
				return nil, fmt.Errorf("%w: input %q (%s): dim %d (%s) is unknown: bind it with --dim %s=VALUE", errUsage, in.Name, in, j, d.Name, d.Name)
			}
			shape[j] = v
		default:
			return nil, fmt.Errorf("%w: input %q (%s): dim %d has no size or name, so --random cannot size it", errUsage, in.Name, in, j)
		}
	}
	if n := graph.NumElements(toInt64s(shape)); n < 0 || n > 1<<31 {
		return nil, fmt.Errorf("input %q: shape %v is too large", in.Name, shape)
	}
	t, err := ops.Zeros(in.DType, shape)
	if err != nil {
		return nil, fmt.Errorf("input %q: %v", in.Name, err)
	}
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
	case []float64:
		for i := range d {
			d[i] = rng.NormFloat64()
		}
	case []bool:
		for i := range d {
			d[i] = rng.IntN(2) == 1
		}
	case []string:
	default:
		if in.DType == graph.Float16 || in.DType == graph.BFloat16 {
			v := make([]float32, ops.Size(shape))
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			return ops.FromFloat32s(in.DType, shape, v)
		}
		ints := make([]int64, ops.Size(shape))
		for i := range ints {
			ints[i] = int64(rng.IntN(10))
		}
		if err := fillInts(t, ints); err != nil {
			return nil, fmt.Errorf("input %q: %v", in.Name, err)
		}
	}
	return t, nil
}

func fillInts(t *ops.Tensor, v []int64) error {
	switch d := t.Data.(type) {
	case []int8:
		for i := range d {
			d[i] = int8(v[i])
		}
	case []int16:
		for i := range d {
			d[i] = int16(v[i])
		}
	case []int32:
		for i := range d {
			d[i] = int32(v[i])
		}
	case []int64:
		copy(d, v)
	case []uint8:
		for i := range d {
			d[i] = uint8(v[i])
		}
	case []uint16:
		for i := range d {
			d[i] = uint16(v[i])
		}
	case []uint32:
		for i := range d {
			d[i] = uint32(v[i])
		}
	case []uint64:
		for i := range d {
			d[i] = uint64(v[i])
		}
	default:
		return fmt.Errorf("--random cannot fill %s", t.DType)
	}
	return nil
}

func toInt64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// printSummary prints one output: its type and shape, statistics of its
// values, and the top 5 classes of a classifier-shaped output.
func printSummary(w io.Writer, name string, v ops.Value) {
	switch v := v.(type) {
	case *ops.Tensor:
		fmt.Fprintf(w, "%s: %s%s\n", name, shapeString(v), stats(v))
		if k := classifierWidth(v); k > 0 {
			fmt.Fprintf(w, "  top-5: %s\n", top5(v))
		}
	case *ops.Sequence:
		fmt.Fprintf(w, "%s: sequence of %d %s tensors\n", name, len(v.Items), v.Elem)
		for i, t := range v.Items {
			fmt.Fprintf(w, "  [%d] %s%s\n", i, shapeString(t), stats(t))
		}
	case *ops.Optional:
		if v.Value == nil {
			fmt.Fprintf(w, "%s: empty optional\n", name)
			return
		}
		printSummary(w, name+" (optional)", v.Value)
	default:
		fmt.Fprintf(w, "%s: %T\n", name, v)
	}
}

func shapeString(t *ops.Tensor) string {
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	return t.DType.String() + "[" + strings.Join(dims, ",") + "]"
}

func stats(t *ops.Tensor) string {
	if t.Len() == 0 {
		return "  (empty)"
	}
	switch d := t.Data.(type) {
	case []bool:
		n := 0
		for _, b := range d {
			if b {
				n++
			}
		}
		return fmt.Sprintf("  true %d of %d", n, len(d))
	case []string:
		return ""
	case []complex64, []complex128:
		return ""
	}
	f, err := ops.ToFloat64s(t)
	if err != nil {
		return ""
	}
	lo, hi, sum, nan := math.Inf(1), math.Inf(-1), 0.0, 0
	for _, x := range f {
		if math.IsNaN(x) {
			nan++
			continue
		}
		lo, hi = math.Min(lo, x), math.Max(hi, x)
		sum += x
	}
	s := ""
	if n := len(f) - nan; n > 0 {
		s = fmt.Sprintf("  min %.6g  max %.6g  mean %.6g", lo, hi, sum/float64(n))
	}
	if nan > 0 {
		s += fmt.Sprintf("  NaN %d", nan)
	}
	return s
}

// classifierWidth returns K for a [1, K] or [K] numeric output with K >= 10.
func classifierWidth(t *ops.Tensor) int {
	if !t.DType.IsFloat() {
		return 0
	}
	switch {
	case len(t.Shape) == 1 && t.Shape[0] >= 10:
		return t.Shape[0]
	case len(t.Shape) == 2 && t.Shape[0] == 1 && t.Shape[1] >= 10:
		return t.Shape[1]
	}
	return 0
}

func top5(t *ops.Tensor) string {
	f, err := ops.ToFloat64s(t)
	if err != nil {
		return ""
	}
	idx := make([]int, len(f))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := f[idx[a]], f[idx[b]]
		return x > y || (!math.IsNaN(x) && math.IsNaN(y))
	})
	parts := []string{}
	for _, i := range idx[:min(5, len(idx))] {
		parts = append(parts, fmt.Sprintf("%d (%.6g)", i, f[i]))
	}
	return strings.Join(parts, ", ")
}

// writeOutputs writes every output to dir, and dir/outputs.json: an object
// mapping each output name to its file name, in the model's output order.
func writeOutputs(dir, format string, infos []onnxrun.Info, out map[string]ops.Value) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var entries []string // `"name": "file"`, in the model's output order
	used := map[string]bool{"outputs.json": true}
	for i, info := range infos {
		v := out[info.Name]
		t, isTensor := v.(*ops.Tensor)
		var file string
		switch {
		case format == "pb" || !isTensor:
			file = fmt.Sprintf("output_%d.pb", i)
		default:
			base := sanitize(info.Name)
			if base == "" {
				base = fmt.Sprintf("output_%d", i)
			}
			file = base + ".npy"
			for k := 1; used[strings.ToLower(file)]; k++ {
				file = fmt.Sprintf("%s_%d.npy", base, k)
			}
		}
		used[strings.ToLower(file)] = true
		path := filepath.Join(dir, file)
		var err error
		switch {
		case isTensor && strings.HasSuffix(file, ".npy"):
			var g *graph.Tensor
			if g, err = t.ToGraph(info.Name); err == nil {
				err = tensorio.WriteNPY(path, g)
			}
		case isTensor:
			var g *graph.Tensor
			if g, err = t.ToGraph(info.Name); err == nil {
				err = tensorio.WritePB(path, g)
			}
		default:
			var b []byte
			if b, err = encodeValue(info.Name, v); err == nil {
				err = writeFileAtomic(path, b)
			}
		}
		if err != nil {
			return fmt.Errorf("output %q: %w", info.Name, err)
		}
		k, _ := json.Marshal(info.Name)
		f, _ := json.Marshal(file)
		entries = append(entries, fmt.Sprintf("  %s: %s", k, f))
	}
	b := "{\n" + strings.Join(entries, ",\n") + "\n}\n"
	if len(entries) == 0 {
		b = "{}\n"
	}
	return writeFileAtomic(filepath.Join(dir, "outputs.json"), []byte(b))
}

// sanitize makes an output name a safe file name: letters, digits, '.',
// '-' and '_' kept, anything else replaced by '_', no leading dot.
func sanitize(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// writeFileAtomic writes b to a temporary file in path's folder and renames
// it into place.
func writeFileAtomic(path string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
