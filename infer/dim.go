package infer

import (
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// Dim is one dimension (or one element of a propagated integer value): a
// constant, a symbolic expression over named symbols, or unknown.
//
// Constants take a fast path with no allocation. Symbolic dims are kept in a
// canonical sum-of-products form with integer coefficients, so two
// expressions that are equal by the rules of integer arithmetic this package
// knows (see doc.go) have the same String and compare Equal. The zero Dim is
// the constant 0.
type Dim struct {
	v    int64 // value of a constant
	e    *poly // symbolic expression; nil for constants and unknown
	kind uint8
}

const (
	kindConst uint8 = iota
	kindSym
	kindUnknown
)

// Const returns the constant dim v.
func Const(v int64) Dim { return Dim{v: v} }

// Sym returns the dim that is the symbol called name (as from dim_param).
func Sym(name string) Dim {
	a := &atom{op: opSym, name: name}
	a.key = name
	return fromPoly(&poly{terms: []mono{{coef: 1, atoms: []*atom{a}, key: a.key}}})
}

// Unknown returns a dim about which nothing is known (JSON null).
func Unknown() Dim { return Dim{kind: kindUnknown} }

// IsConst reports whether d is a constant.
func (d Dim) IsConst() bool { return d.kind == kindConst }

// IsUnknown reports whether d is unknown.
func (d Dim) IsUnknown() bool { return d.kind == kindUnknown }

// IsSymbolic reports whether d is a symbolic expression.
func (d Dim) IsSymbolic() bool { return d.kind == kindSym }

// Value returns d's value and true when d is a constant.
func (d Dim) Value() (int64, bool) { return d.v, d.kind == kindConst }

// IsSymbol reports whether d is a bare symbol, and returns its name.
func (d Dim) IsSymbol() (string, bool) {
	if d.kind != kindSym || d.e.k != 0 || len(d.e.terms) != 1 {
		return "", false
	}
	m := d.e.terms[0]
	if m.coef != 1 || len(m.atoms) != 1 || m.atoms[0].op != opSym {
		return "", false
	}
	return m.atoms[0].name, true
}

// Equal reports whether d and o are provably equal: both constants with the
// same value, or symbolic expressions with the same canonical form. An unknown
// dim equals nothing, not even another unknown.
func (d Dim) Equal(o Dim) bool {
	if d.kind != o.kind {
		return false
	}
	switch d.kind {
	case kindConst:
		return d.v == o.v
	case kindSym:
		return d.e == o.e || d.e.key == o.e.key
	}
	return false
}

// String returns the canonical text of d: "3", "N", "floor((H+1)/2)",
// "2*N*W-1", or "?" when unknown.
func (d Dim) String() string {
	switch d.kind {
	case kindConst:
		return strconv.FormatInt(d.v, 10)
	case kindSym:
		return d.e.key
	}
	return "?"
}

// Symbols returns the names of the symbols d depends on, sorted.
func (d Dim) Symbols() []string {
	if d.kind != kindSym {
		return nil
	}
	set := map[string]bool{}
	d.e.symbols(set)
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Bind substitutes the values of bound symbols and simplifies. Symbols not
// in b stay symbolic.
func (d Dim) Bind(b map[string]int64) Dim {
	if d.kind != kindSym || len(b) == 0 {
		return d
	}
	return d.Subst(func(name string) (Dim, bool) {
		v, ok := b[name]
		return Const(v), ok
	})
}

// Subst replaces every symbol for which f returns true by the dim f gives,
// and simplifies.
func (d Dim) Subst(f func(name string) (Dim, bool)) Dim {
	if d.kind != kindSym {
		return d
	}
	return d.e.subst(f)
}

// ---- arithmetic ----

// Add returns d+o.
func (d Dim) Add(o Dim) Dim {
	if d.kind == kindConst && o.kind == kindConst {
		s, ok := addOv(d.v, o.v)
		if !ok {
			return Unknown()
		}
		return Const(s)
	}
	if d.kind == kindUnknown || o.kind == kindUnknown {
		return Unknown()
	}
	p, ok := polyAdd(d.toPoly(), o.toPoly(), 1)
	if !ok {
		return Unknown()
	}
	return fromPoly(p)
}

// Sub returns d-o.
func (d Dim) Sub(o Dim) Dim {
	if d.kind == kindConst && o.kind == kindConst {
		s, ok := subOv(d.v, o.v)
		if !ok {
			return Unknown()
		}
		return Const(s)
	}
	if d.kind == kindUnknown || o.kind == kindUnknown {
		return Unknown()
	}
	p, ok := polyAdd(d.toPoly(), o.toPoly(), -1)
	if !ok {
		return Unknown()
	}
	return fromPoly(p)
}

// Neg returns -d.
func (d Dim) Neg() Dim { return Const(0).Sub(d) }

// Mul returns d*o.
func (d Dim) Mul(o Dim) Dim {
	if d.kind == kindConst && o.kind == kindConst {
		s, ok := mulOv(d.v, o.v)
		if !ok {
			return Unknown()
		}
		return Const(s)
	}
	if d.kind == kindConst && d.v == 0 || o.kind == kindConst && o.v == 0 {
		return Const(0)
	}
	if d.kind == kindUnknown || o.kind == kindUnknown {
		return Unknown()
	}
	p, ok := polyMul(d.toPoly(), o.toPoly())
	if !ok {
		return Unknown()
	}
	return fromPoly(p)
}

// FloorDiv returns floor(d/o). Division by zero gives an unknown dim.
func (d Dim) FloorDiv(o Dim) Dim {
	if o.kind == kindConst {
		if o.v == 0 {
			return Unknown()
		}
		if d.kind == kindConst {
			return Const(floorDiv(d.v, o.v))
		}
		if d.kind == kindUnknown {
			return Unknown()
		}
		if o.v < 0 {
			if o.v == math.MinInt64 {
				return Unknown()
			}
			return d.Neg().FloorDiv(Const(-o.v))
		}
		return fromPoly(divConst(d.e, o.v))
	}
	if d.kind == kindUnknown || o.kind == kindUnknown {
		return Unknown()
	}
	if d.kind == kindConst && d.v == 0 {
		return Const(0)
	}
	if q, ok := exactMultiple(d.toPoly(), o.e); ok {
		return Const(q)
	}
	if q, ok := divMono(d.toPoly(), o.e); ok {
		return fromPoly(q)
	}
	return fromPoly(atomPoly(&atom{op: opFloorDiv, a: d.toPoly(), b: o.e}))
}

// CeilDiv returns ceil(d/o). Division by zero gives an unknown dim.
func (d Dim) CeilDiv(o Dim) Dim {
	if o.kind == kindConst {
		if o.v == 0 {
			return Unknown()
		}
		if d.kind == kindConst {
			return Const(-floorDiv(-d.v, o.v))
		}
		if o.v < 0 {
			if o.v == math.MinInt64 {
				return Unknown()
			}
			d, o = d.Neg(), Const(-o.v)
		}
		// ceil(d/k) = floor((d+k-1)/k) for k > 0
		return d.Add(Const(o.v - 1)).FloorDiv(o)
	}
	if d.kind == kindUnknown || o.kind == kindUnknown {
		return Unknown()
	}
	if d.kind == kindConst && d.v == 0 {
		return Const(0)
	}
	if q, ok := exactMultiple(d.toPoly(), o.e); ok {
		return Const(q)
	}
	return fromPoly(atomPoly(&atom{op: opCeilDiv, a: d.toPoly(), b: o.e}))
}

// Mod returns d - o*floor(d/o) (the remainder with the sign of o).
func (d Dim) Mod(o Dim) Dim {
	if d.kind == kindConst && o.kind == kindConst {
		if o.v == 0 {
			return Unknown()
		}
		return Const(d.v - o.v*floorDiv(d.v, o.v))
	}
	return d.Sub(o.Mul(d.FloorDiv(o)))
}

// Min returns min(d, o).
func (d Dim) Min(o Dim) Dim { return minMax(d, o, opMin) }

// Max returns max(d, o).
func (d Dim) Max(o Dim) Dim { return minMax(d, o, opMax) }

func minMax(d, o Dim, op atomOp) Dim {
	if d.kind == kindConst && o.kind == kindConst {
		if (d.v < o.v) == (op == opMin) {
			return d
		}
		return o
	}
	if d.kind == kindUnknown || o.kind == kindUnknown {
		return Unknown()
	}
	// Symbols stand for sizes, which are never negative: an expression
	// whose coefficients and constant are all non-negative is >= 0.
	diff := d.Sub(o)
	if v, ok := diff.Value(); ok {
		if (v <= 0) == (op == opMin) {
			return d
		}
		return o
	}
	if !diff.IsUnknown() {
		if diff.e.nonNeg() { // d >= o
			if op == opMin {
				return o
			}
			return d
		}
		if neg := diff.Neg(); !neg.IsUnknown() && neg.IsSymbolic() && neg.e.nonNeg() { // d <= o
			if op == opMin {
				return d
			}
			return o
		}
	}
	a, b := d.toPoly(), o.toPoly()
	if a.key > b.key {
		a, b = b, a
	}
	return fromPoly(atomPoly(&atom{op: op, a: a, b: b}))
}

// Compare returns -1, 0 or 1 when d < o, d == o or d > o is provable
// (symbols taken as non-negative sizes), and ok false otherwise.
func (d Dim) Compare(o Dim) (int, bool) {
	if d.Equal(o) {
		return 0, true
	}
	diff := d.Sub(o)
	if v, ok := diff.Value(); ok {
		return sign(v), true
	}
	if diff.IsUnknown() {
		return 0, false
	}
	if g := diff.Sub(Const(1)); g.IsSymbolic() && g.e.nonNeg() {
		return 1, true
	}
	if l := diff.Neg().Sub(Const(1)); l.IsSymbolic() && l.e.nonNeg() {
		return -1, true
	}
	return 0, false
}

// ---- canonical polynomial form ----

type atomOp uint8

const (
	opSym atomOp = iota
	opFloorDiv
	opCeilDiv
	opMin
	opMax
)

// atom is an indivisible factor: a symbol, or an operation that does not
// distribute over sums.
type atom struct {
	op   atomOp
	name string
	a, b *poly
	key  string
}

// mono is coef * product(atoms); atoms are sorted by key.
type mono struct {
	coef  int64
	atoms []*atom
	key   string
}

// poly is k + sum(terms); terms have distinct keys, sorted, non-zero coefs.
type poly struct {
	k     int64
	terms []mono
	key   string
}

func (d Dim) toPoly() *poly {
	if d.kind == kindSym {
		return d.e
	}
	return &poly{k: d.v, key: strconv.FormatInt(d.v, 10)}
}

// fromPoly finishes p (computes keys) and returns it as a Dim, folding
// constant polynomials to constants.
func fromPoly(p *poly) Dim {
	if len(p.terms) == 0 {
		return Const(p.k)
	}
	if len(p.terms) > maxTerms {
		return Unknown()
	}
	p.finish()
	if len(p.key) > maxKeyLen {
		return Unknown()
	}
	return Dim{e: p, kind: kindSym}
}

// Expressions that grow past these bounds become unknown, so that no model
// can make inference slow or large.
const (
	maxTerms  = 64
	maxKeyLen = 4096
)

func atomPoly(a *atom) *poly {
	a.finish()
	return &poly{terms: []mono{{coef: 1, atoms: []*atom{a}, key: a.key}}}
}

func (a *atom) finish() {
	if a.key != "" {
		return
	}
	switch a.op {
	case opSym:
		a.key = a.name
	case opFloorDiv:
		a.key = "floor(" + a.a.paren() + "/" + a.b.paren() + ")"
	case opCeilDiv:
		a.key = "ceil(" + a.a.paren() + "/" + a.b.paren() + ")"
	case opMin:
		a.key = "min(" + a.a.key + "," + a.b.key + ")"
	case opMax:
		a.key = "max(" + a.a.key + "," + a.b.key + ")"
	}
}

// paren returns p's text, parenthesized unless it is a single factor.
func (p *poly) paren() string {
	if len(p.terms) == 0 {
		return strconv.FormatInt(p.k, 10)
	}
	if p.k == 0 && len(p.terms) == 1 && p.terms[0].coef == 1 && len(p.terms[0].atoms) == 1 {
		return p.key
	}
	return "(" + p.key + ")"
}

func monoKey(atoms []*atom) string {
	if len(atoms) == 1 {
		return atoms[0].key
	}
	var sb strings.Builder
	for i, a := range atoms {
		if i > 0 {
			sb.WriteByte('*')
		}
		sb.WriteString(a.key)
	}
	return sb.String()
}

// finish sets p.key. Terms print in key order with higher-degree terms first,
// then the constant.
func (p *poly) finish() {
	if p.key != "" {
		return
	}
	if len(p.terms) == 0 {
		p.key = strconv.FormatInt(p.k, 10)
		return
	}
	var sb strings.Builder
	for i, m := range p.terms {
		c := m.coef
		if c < 0 {
			sb.WriteByte('-')
			c = -c
		} else if i > 0 {
			sb.WriteByte('+')
		}
		if c != 1 {
			sb.WriteString(strconv.FormatInt(c, 10))
			sb.WriteByte('*')
		}
		sb.WriteString(m.key)
	}
	if p.k > 0 {
		sb.WriteByte('+')
		sb.WriteString(strconv.FormatInt(p.k, 10))
	} else if p.k < 0 {
		sb.WriteString(strconv.FormatInt(p.k, 10))
	}
	p.key = sb.String()
}

func termLess(a, b *mono) bool {
	if len(a.atoms) != len(b.atoms) {
		return len(a.atoms) > len(b.atoms)
	}
	return a.key < b.key
}

// polyAdd returns a + s*b (s is 1 or -1).
func polyAdd(a, b *poly, s int64) (*poly, bool) {
	k, ok := addOv(a.k, s*b.k)
	if !ok {
		return nil, false
	}
	out := &poly{k: k, terms: make([]mono, 0, len(a.terms)+len(b.terms))}
	i, j := 0, 0
	for i < len(a.terms) || j < len(b.terms) {
		switch {
		case j == len(b.terms) || i < len(a.terms) && termLess(&a.terms[i], &b.terms[j]):
			out.terms = append(out.terms, a.terms[i])
			i++
		case i == len(a.terms) || termLess(&b.terms[j], &a.terms[i]):
			m := b.terms[j]
			m.coef *= s
			out.terms = append(out.terms, m)
			j++
		default:
			c, ok := addOv(a.terms[i].coef, s*b.terms[j].coef)
			if !ok {
				return nil, false
			}
			if c != 0 {
				m := a.terms[i]
				m.coef = c
				out.terms = append(out.terms, m)
			}
			i++
			j++
		}
	}
	return out, true
}

func polyMul(a, b *poly) (*poly, bool) {
	acc := &poly{}
	if a.k != 0 {
		for _, m := range b.terms {
			c, ok := mulOv(m.coef, a.k)
			if !ok {
				return nil, false
			}
			m.coef = c
			acc.terms = append(acc.terms, m)
		}
	}
	k, ok := mulOv(a.k, b.k)
	if !ok {
		return nil, false
	}
	acc.k = k
	for _, ma := range a.terms {
		part := &poly{}
		if b.k != 0 {
			c, ok := mulOv(ma.coef, b.k)
			if !ok {
				return nil, false
			}
			part.terms = append(part.terms, mono{coef: c, atoms: ma.atoms, key: ma.key})
		}
		for _, mb := range b.terms {
			c, ok := mulOv(ma.coef, mb.coef)
			if !ok {
				return nil, false
			}
			atoms := make([]*atom, 0, len(ma.atoms)+len(mb.atoms))
			atoms = append(atoms, ma.atoms...)
			atoms = append(atoms, mb.atoms...)
			sort.SliceStable(atoms, func(i, j int) bool { return atoms[i].key < atoms[j].key })
			m := mono{coef: c, atoms: atoms, key: monoKey(atoms)}
			p := &poly{terms: []mono{m}}
			part, ok = polyAdd(part, p, 1)
			if !ok {
				return nil, false
			}
		}
		acc, ok = polyAdd(acc, part, 1)
		if !ok {
			return nil, false
		}
	}
	// polyAdd keeps order only for sorted inputs: re-sort acc's terms.
	sort.Slice(acc.terms, func(i, j int) bool { return termLess(&acc.terms[i], &acc.terms[j]) })
	return acc, true
}

// divConst returns floor(p/k) for k > 0 in canonical form: every coefficient
// c and the constant are split as k*q + r with 0 <= r < k; the quotients move
// outside, and what remains is floor(r-part/k) (dropped when it is 0, and
// reduced by the gcd of k and the remaining coefficients).
func divConst(p *poly, k int64) *poly {
	if k == 1 {
		return p
	}
	quot := &poly{k: floorDiv(p.k, k)}
	rem := &poly{k: p.k - k*floorDiv(p.k, k)}
	for _, m := range p.terms {
		q := floorDiv(m.coef, k)
		r := m.coef - q*k
		if q != 0 {
			quot.terms = append(quot.terms, mono{coef: q, atoms: m.atoms, key: m.key})
		}
		if r != 0 {
			rem.terms = append(rem.terms, mono{coef: r, atoms: m.atoms, key: m.key})
		}
	}
	if len(rem.terms) == 0 {
		// 0 <= rem.k < k, so floor(rem.k/k) == 0.
		return quot
	}
	// Reduce by g = gcd(k, coefs): floor((g*x + r)/(g*m)) = floor((x + floor(r/g))/m).
	g := k
	for _, m := range rem.terms {
		g = gcd(g, m.coef)
	}
	if g > 1 {
		for i := range rem.terms {
			rem.terms[i].coef /= g
		}
		rem.k /= g
		k /= g
		if k == 1 {
			out, _ := polyAdd(quot, rem, 1)
			return out
		}
	}
	rem.finish()
	out, ok := polyAdd(quot, atomPoly(&atom{op: opFloorDiv, a: rem, b: &poly{k: k, key: strconv.FormatInt(k, 10)}}), 1)
	if !ok {
		return quot
	}
	return out
}

// divMono divides a by b exactly when b is a single term c*x*y... that
// divides every term of a (and a has no constant part).
func divMono(a, b *poly) (*poly, bool) {
	if b.k != 0 || len(b.terms) != 1 || a.k != 0 {
		return nil, false
	}
	m := b.terms[0]
	out := &poly{}
	for _, t := range a.terms {
		if t.coef%m.coef != 0 {
			return nil, false
		}
		rest := append([]*atom(nil), t.atoms...)
		for _, x := range m.atoms {
			found := false
			for i, y := range rest {
				if y.key == x.key {
					rest = append(rest[:i], rest[i+1:]...)
					found = true
					break
				}
			}
			if !found {
				return nil, false
			}
		}
		var q *poly
		if len(rest) == 0 {
			q = &poly{k: t.coef / m.coef}
		} else {
			q = &poly{terms: []mono{{coef: t.coef / m.coef, atoms: rest, key: monoKey(rest)}}}
		}
		var ok bool
		if out, ok = polyAdd(out, q, 1); !ok {
			return nil, false
		}
	}
	sort.Slice(out.terms, func(i, j int) bool { return termLess(&out.terms[i], &out.terms[j]) })
	return out, true
}

// exactMultiple reports whether a == q*b for a constant q.
func exactMultiple(a, b *poly) (int64, bool) {
	if len(a.terms) != len(b.terms) || len(b.terms) == 0 {
		return 0, false
	}
	if a.terms[0].key != b.terms[0].key || a.terms[0].coef%b.terms[0].coef != 0 {
		return 0, false
	}
	q := a.terms[0].coef / b.terms[0].coef
	for i := range a.terms {
		if a.terms[i].key != b.terms[i].key || a.terms[i].coef != q*b.terms[i].coef {
			return 0, false
		}
	}
	if a.k != q*b.k {
		return 0, false
	}
	return q, true
}

// nonNeg reports whether p is provably >= 0, taking every symbol as a
// non-negative size.
func (p *poly) nonNeg() bool {
	if p.k < 0 {
		return false
	}
	for _, m := range p.terms {
		if m.coef < 0 {
			return false
		}
		for _, a := range m.atoms {
			if !a.nonNeg() {
				return false
			}
		}
	}
	return true
}

func (a *atom) nonNeg() bool {
	switch a.op {
	case opSym:
		return true
	case opFloorDiv, opCeilDiv:
		return a.a.nonNeg() && a.b.nonNeg() && (len(a.b.terms) > 0 || a.b.k > 0)
	case opMin:
		return a.a.nonNeg() && a.b.nonNeg()
	}
	return a.a.nonNeg() || a.b.nonNeg()
}

func (p *poly) symbols(set map[string]bool) {
	for _, m := range p.terms {
		for _, a := range m.atoms {
			if a.op == opSym {
				set[a.name] = true
			} else {
				a.a.symbols(set)
				a.b.symbols(set)
			}
		}
	}
}

func (p *poly) subst(f func(string) (Dim, bool)) Dim {
	out := Const(p.k)
	for _, m := range p.terms {
		t := Const(m.coef)
		for _, a := range m.atoms {
			t = t.Mul(a.subst(f))
		}
		out = out.Add(t)
	}
	return out
}

func (a *atom) subst(f func(string) (Dim, bool)) Dim {
	if a.op == opSym {
		if d, ok := f(a.name); ok {
			return d
		}
		return fromPoly(atomPoly(a))
	}
	x, y := a.a.subst(f), a.b.subst(f)
	switch a.op {
	case opFloorDiv:
		return x.FloorDiv(y)
	case opCeilDiv:
		return x.CeilDiv(y)
	case opMin:
		return x.Min(y)
	}
	return x.Max(y)
}

// ---- checked integer helpers ----

func addOv(a, b int64) (int64, bool) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, false
	}
	return s, true
}

func subOv(a, b int64) (int64, bool) {
	s := a - b
	if (s < a) != (b > 0) {
		return 0, false
	}
	return s, true
}

func mulOv(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	neg := (a < 0) != (b < 0)
	ua, ub := abs64(a), abs64(b)
	hi, lo := bits.Mul64(ua, ub)
	if hi != 0 || lo > math.MaxInt64 && !(neg && lo == 1<<63) {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(a int64) uint64 {
	if a < 0 {
		return uint64(-a)
	}
	return uint64(a)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func gcd(a, b int64) int64 {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
