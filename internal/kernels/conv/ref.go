package conv

// Reference is the plain N-d convolution loop that defines the semantics
// every fast path is tested against:
//
//	y[n, m, o] = bias[m] + Σ_{c in group(m), κ} w[m, c, κ] · x[n, g·cg+c, o·s − pad + κ·d]
//
// with x taken as 0 outside its bounds. bias may be nil.
func Reference[T Num](p *Params, x, w, bias, y []T) {
	r := len(p.In)
	cg, mg := p.C/p.Group, p.M/p.Group
	inVol, kVol, outVol := prod(p.In), prod(p.Kernel), prod(p.Out)
	oc := make([]int, r)
	kc := make([]int, r)
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / mg
			for o := 0; o < outVol; o++ {
				unravel(o, p.Out, oc)
				var acc T
				if bias != nil {
					acc = bias[m]
				}
				for c := 0; c < cg; c++ {
					for k := 0; k < kVol; k++ {
						unravel(k, p.Kernel, kc)
						idx, ok := 0, true
						for a := 0; a < r; a++ {
							v := oc[a]*p.Strides[a] - p.Pads[a] + kc[a]*p.Dilations[a]
							if v < 0 || v >= p.In[a] {
								ok = false
								break
							}
							idx = idx*p.In[a] + v
						}
						if ok {
							acc += w[(m*cg+c)*kVol+k] * x[(n*p.C+g*cg+c)*inVol+idx]
						}
					}
				}
				y[(n*p.M+m)*outVol+o] = acc
			}
		}
	}
}

func unravel(i int, shape, coord []int) {
	for a := len(shape) - 1; a >= 0; a-- {
		coord[a] = i % shape[a]
		i /= shape[a]
	}
}

// TransposeReference is the plain N-d transposed convolution loop: input
// [N, C, In...], weights [C, M/Group, Kernel...], output [N, M, Out...];
// each input value scatters x·w into y[o = i·s − pad + κ·d] where o is in
// bounds. bias may be nil.
func TransposeReference[T Num](p *Params, x, w, bias, y []T) {
	r := len(p.In)
	cg, mg := p.C/p.Group, p.M/p.Group
	inVol, kVol, outVol := prod(p.In), prod(p.Kernel), prod(p.Out)
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			var b T
			if bias != nil {
				b = bias[m]
			}
			for o := 0; o < outVol; o++ {
				y[(n*p.M+m)*outVol+o] = b
			}
		}
	}
	ic := make([]int, r)
	kc := make([]int, r)
	for n := 0; n < p.N; n++ {
		for c := 0; c < p.C; c++ {
			g := c / cg
			for i := 0; i < inVol; i++ {
				unravel(i, p.In, ic)
				xv := x[(n*p.C+c)*inVol+i]
				for mm := 0; mm < mg; mm++ {
					m := g*mg + mm
					for k := 0; k < kVol; k++ {
						unravel(k, p.Kernel, kc)
						idx, ok := 0, true
						for a := 0; a < r; a++ {
							v := ic[a]*p.Strides[a] - p.Pads[a] + kc[a]*p.Dilations[a]
							if v < 0 || v >= p.Out[a] {
								ok = false
								break
							}
							idx = idx*p.Out[a] + v
						}
						if ok {
							y[(n*p.M+m)*outVol+idx] += xv * w[(c*mg+mm)*kVol+k]
						}
					}
				}
			}
		}
	}
}
