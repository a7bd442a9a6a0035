package infer

import "testing"

func TestDimAlgebra(t *testing.T) {
	H, W, N := Sym("H"), Sym("W"), Sym("N")
	c := Const
	tests := []struct {
		name string
		got  Dim
		want string
	}{
		{"fold", c(2).Add(c(3)).Mul(c(4)), "20"},
		{"x+0", H.Add(c(0)), "H"},
		{"x*1", H.Mul(c(1)), "H"},
		{"x-x", H.Sub(H), "0"},
		{"like terms", H.Add(W).Add(H), "2*H+W"},
		{"product", N.Mul(H).Mul(W).Mul(c(3)), "3*H*N*W"},
		{"distribute", H.Add(c(1)).Mul(c(2)), "2*H+2"},
		{"floor /1", H.FloorDiv(c(1)), "H"},
		{"(a*k)/k", H.Mul(c(4)).FloorDiv(c(4)), "H"},
		{"floor((2H+5)/2)", H.Mul(c(2)).Add(c(5)).FloorDiv(c(2)), "H+2"},
		{"conv s2 p1 k3", H.Add(c(2)).Sub(c(3)).FloorDiv(c(2)).Add(c(1)), "floor((H+1)/2)"},
		{"ceil(H/2)", H.CeilDiv(c(2)), "floor((H+1)/2)"},
		{"gcd", H.Mul(c(2)).Add(c(2)).FloorDiv(c(4)), "floor((H+1)/2)"},
		{"neg div", H.FloorDiv(c(-1)), "-H"},
		{"min const diff", H.Min(H.Add(c(2))), "H"},
		{"max", H.Max(W), "max(H,W)"},
		{"max sym", W.Max(H), "max(H,W)"},
		{"sym div", N.Mul(H).FloorDiv(H), "N"},
		{"exact multiple", H.Mul(c(6)).Add(c(6)).FloorDiv(H.Add(c(1))), "6"},
		{"unknown", H.Add(Unknown()), "?"},
		{"mod", H.Mul(c(4)).Add(c(3)).Mod(c(2)), "1"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, s, tt.want)
		}
	}
}

func TestDimEqual(t *testing.T) {
	H := Sym("H")
	a := H.Add(c2(2)).Sub(c2(3)).FloorDiv(c2(2)).Add(c2(1)) // floor((H+2-3)/2)+1
	b := H.Add(c2(1)).FloorDiv(c2(2))                       // floor((H+1)/2)
	d := H.CeilDiv(c2(2))                                   // ceil(H/2)
	if !a.Equal(b) || !b.Equal(d) {
		t.Errorf("equal forms differ: %v %v %v", a, b, d)
	}
	if a.Equal(H) || Unknown().Equal(Unknown()) {
		t.Error("unequal forms compare equal")
	}
	for h := int64(1); h < 40; h++ {
		want := (h+2-3)/2 + 1
		if v, ok := a.Bind(map[string]int64{"H": h}).Value(); !ok || v != want {
			t.Errorf("H=%d: bound %v, want %d", h, a.Bind(map[string]int64{"H": h}), want)
		}
	}
}

// TestDimFloorIdentity checks the canonical floor-division form against
// integer arithmetic over a range of values, coefficients and divisors.
func TestDimFloorIdentity(t *testing.T) {
	H, W := Sym("H"), Sym("W")
	for a := int64(-5); a <= 5; a++ {
		for b := int64(-7); b <= 7; b++ {
			for k := int64(-4); k <= 6; k++ {
				if k == 0 {
					continue
				}
				e := H.Mul(c2(a)).Add(W.Mul(c2(2))).Add(c2(b))
				fl, ce := e.FloorDiv(c2(k)), e.CeilDiv(c2(k))
				for h := int64(-3); h <= 9; h++ {
					for w := int64(0); w <= 3; w++ {
						bind := map[string]int64{"H": h, "W": w}
						x := a*h + 2*w + b
						if v, _ := fl.Bind(bind).Value(); v != floorDiv(x, k) {
							t.Fatalf("floor((%v)/%d) = %v at H=%d W=%d: %d, want %d", e, k, fl, h, w, v, floorDiv(x, k))
						}
						if v, _ := ce.Bind(bind).Value(); v != -floorDiv(-x, k) {
							t.Fatalf("ceil((%v)/%d) = %v at H=%d W=%d: %d, want %d", e, k, ce, h, w, v, -floorDiv(-x, k))
						}
					}
				}
			}
		}
	}
}

func c2(v int64) Dim { return Const(v) }

func TestDimDivMono(t *testing.T) {
	N, H := Sym("N"), Sym("H")
	fh := H.Add(Const(1)).FloorDiv(Const(2))
	total := Const(16).Mul(N).Mul(fh)
	if got := total.FloorDiv(N).String(); got != "16*floor((H+1)/2)" {
		t.Errorf("16*N*floor((H+1)/2) / N = %s", got)
	}
	if got := N.Mul(H).Add(N).FloorDiv(N).String(); got != "H+1" {
		t.Errorf("(N*H+N)/N = %s", got)
	}
	if got := N.Mul(H).Add(Const(1)).FloorDiv(N).String(); got != "floor((H*N+1)/N)" {
		t.Errorf("(N*H+1)/N = %s", got)
	}
}
