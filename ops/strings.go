package ops

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	Register(Spec{Op: "StringNormalizer", Since: 10}, newStringNormalizer)
	Register(Spec{Op: "TfIdfVectorizer", Since: 9}, newTfIdfVectorizer)
}

func newStringNormalizer(b *Build) (Kernel, error) {
	action, err := b.Node.AttrString("case_change_action", "NONE")
	if err != nil {
		return nil, err
	}
	var conv func(string) string
	switch action {
	case "NONE":
		conv = func(s string) string { return s }
	case "LOWER":
		conv = strings.ToLower
	case "UPPER":
		conv = strings.ToUpper
	default:
		return nil, b.Errorf("case_change_action %q is not LOWER, UPPER or NONE", action)
	}
	cs, err := b.Node.AttrInt("is_case_sensitive", 0)
	if err != nil {
		return nil, err
	}
	words, err := b.Node.AttrStrings("stopwords", nil)
	if err != nil {
		return nil, err
	}
	stop := map[string]bool{}
	key := func(s string) string {
		if cs == 0 {
			return strings.ToLower(s)
		}
		return s
	}
	for _, w := range words {
		stop[key(w)] = true
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		xs, ok := x.Data.([]string)
		twoD := x.Rank() == 2 && x.Shape[0] == 1
		if !ok || (x.Rank() != 1 && !twoD) {
			return nil, fmt.Errorf("input 0 is %s, want a string tensor of shape [C] or [1, C]", x)
		}
		out := []string{}
		for _, s := range xs {
			if !stop[key(s)] {
				out = append(out, conv(s))
			}
		}
		if len(out) == 0 {
			out = []string{""}
		}
		shape := []int{len(out)}
		if twoD {
			shape = []int{1, len(out)}
		}
		return []Value{New(shape, out)}, nil
	}), nil
}

type tfidfKernel struct {
	minN, maxN, maxSkip int
	mode                string
	pool                map[string]int // n-gram key → ordinal
	indexes             []int64
	weights             []float32
	width               int
	strings             bool
}

func newTfIdfVectorizer(b *Build) (Kernel, error) {
	n := b.Node
	get := func(name string) (int, error) {
		if !n.HasAttr(name) {
			return 0, b.Errorf("attribute %s is required", name)
		}
		v, err := n.AttrInt(name, 0)
		return int(v), err
	}
	k := &tfidfKernel{pool: map[string]int{}}
	var err error
	if k.minN, err = get("min_gram_length"); err != nil {
		return nil, err
	}
	if k.maxN, err = get("max_gram_length"); err != nil {
		return nil, err
	}
	if k.maxSkip, err = get("max_skip_count"); err != nil {
		return nil, err
	}
	if k.minN < 1 || k.maxN < k.minN || k.maxSkip < 0 {
		return nil, b.Errorf("gram lengths [%d, %d] and max_skip_count %d are invalid", k.minN, k.maxN, k.maxSkip)
	}
	if k.mode, err = n.AttrString("mode", ""); err != nil {
		return nil, err
	}
	if k.mode != "TF" && k.mode != "IDF" && k.mode != "TFIDF" {
		return nil, b.Errorf("mode %q is not TF, IDF or TFIDF", k.mode)
	}
	counts, err := n.AttrInts("ngram_counts", nil)
	if err != nil {
		return nil, err
	}
	if k.indexes, err = n.AttrInts("ngram_indexes", nil); err != nil {
		return nil, err
	}
	if k.weights, err = n.AttrFloats("weights", nil); err != nil {
		return nil, err
	}
	ints, err := n.AttrInts("pool_int64s", nil)
	if err != nil {
		return nil, err
	}
	strs, err := n.AttrStrings("pool_strings", nil)
	if err != nil {
		return nil, err
	}
	if (ints == nil) == (strs == nil) {
		return nil, b.Errorf("exactly one of pool_int64s and pool_strings must be set")
	}
	k.strings = strs != nil
	var pool []string
	if k.strings {
		pool = strs
	} else {
		for _, v := range ints {
			pool = append(pool, strconv.FormatInt(v, 10))
		}
	}
	ord := 0
	for g, start := range counts {
		end := int64(len(pool))
		if g+1 < len(counts) {
			end = counts[g+1]
		}
		gl := g + 1
		if start < 0 || end < start || end > int64(len(pool)) || (end-start)%int64(gl) != 0 {
			return nil, b.Errorf("ngram_counts %v does not fit a pool of %d items", counts, len(pool))
		}
		for p := start; p < end; p += int64(gl) {
			k.pool[ngramKey(pool[p:p+int64(gl)])] = ord
			ord++
		}
	}
	if len(k.indexes) != ord {
		return nil, b.Errorf("ngram_indexes has %d entries, the pool holds %d n-grams", len(k.indexes), ord)
	}
	if k.weights != nil && len(k.weights) != ord {
		return nil, b.Errorf("weights has %d entries, the pool holds %d n-grams", len(k.weights), ord)
	}
	for _, i := range k.indexes {
		if i < 0 || i >= 1<<24 {
			return nil, b.Errorf("ngram_indexes entry %d is out of range", i)
		}
		k.width = max(k.width, int(i)+1)
	}
	return k, nil
}

func ngramKey(toks []string) string {
	return strconv.Itoa(len(toks)) + "\x00" + strings.Join(toks, "\x00")
}

func (k *tfidfKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	var toks []string
	if xs, ok := x.Data.([]string); ok && k.strings {
		toks = xs
	} else if !k.strings && (x.DType.IsInt()) {
		v, err := ToInt64s(x)
		if err != nil {
			return nil, err
		}
		toks = make([]string, len(v))
		for i, t := range v {
			toks[i] = strconv.FormatInt(t, 10)
		}
	} else {
		return nil, fmt.Errorf("input 0 is %s, does not match the pool's type", x)
	}
	rows, C := 1, 0
	switch x.Rank() {
	case 1:
		C = x.Shape[0]
	case 2:
		rows, C = x.Shape[0], x.Shape[1]
	default:
		return nil, fmt.Errorf("input 0 is %s, want rank 1 or 2", x)
	}
	if rows*k.width > 1<<28 {
		return nil, fmt.Errorf("output of %d x %d is too large", rows, k.width)
	}
	out := make([]float32, rows*k.width)
	gram := make([]string, k.maxN)
	for r := range rows {
		row := toks[r*C : (r+1)*C]
		cnt := out[r*k.width : (r+1)*k.width]
		for i := range row {
			for n := k.minN; n <= k.maxN; n++ {
				skips := k.maxSkip
				if n == 1 {
					skips = 0
				}
				for s := 0; s <= skips; s++ {
					last := i + (n-1)*(s+1)
					if last >= C {
						break
					}
					for j := range n {
						gram[j] = row[i+j*(s+1)]
					}
					if o, ok := k.pool[ngramKey(gram[:n])]; ok {
						cnt[k.indexes[o]]++
					}
				}
			}
		}
	}
	if k.mode != "TF" {
		// weights apply per pool entry at its output coordinate
		for r := range rows {
			cnt := out[r*k.width : (r+1)*k.width]
			for o, idx := range k.indexes {
				w := float32(1)
				if k.weights != nil {
					w = k.weights[o]
				}
				if k.mode == "IDF" && cnt[idx] > 0 {
					cnt[idx] = 1
				}
				cnt[idx] *= w
			}
		}
	}
	shape := []int{k.width}
	if x.Rank() == 2 {
		shape = []int{rows, k.width}
	}
	return []Value{New(shape, out)}, nil
}
