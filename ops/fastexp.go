package ops

import "math"

// expF32 returns e^x with a relative error below 1e-9: enough for a result
// rounded to float32 (it then differs from the correctly rounded value by
// at most one ulp, and rarely), at about half the cost of math.Exp. x is
// split as n·ln2 + r with |r| <= ln2/2, and e^r is summed to degree 8.
func expF32(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 88.8: // above float32's largest finite result
		return math.Inf(1)
	case x < -104: // below half of float32's smallest denormal
		return 0
	}
	n := math.Floor(x*math.Log2E + 0.5)
	r := x - n*math.Ln2
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320))))))))
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

// sigmoidF32 is sigmoid for results rounded to float32.
func sigmoidF32(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + expF32(-x))
	}
	e := expF32(x)
	return e / (1 + e)
}
