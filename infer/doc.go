// Package infer infers the element type and shape of every value of an ONNX
// model, before anything runs, and reports where the model is inconsistent.
// It imports graph only: a pipeline that checks shapes links no kernels.
//
// # Dims
//
// A Dim is a constant (Const, a fast path without allocation), a symbolic
// expression over named symbols (Sym; symbols come from dim_param or are
// made fresh for data-dependent sizes), or Unknown. Expressions are built
// with Add, Sub, Mul, FloorDiv, CeilDiv, Mod, Min and Max and kept in a
// canonical sum-of-products form with integer coefficients:
//
//   - constants fold, x*1, x+0, x-x, floor(x/1) vanish, like terms merge;
//
//   - floor(p/k) for a constant k > 0 moves every multiple of k out of p:
//     floor((2*H+5)/2) = H+2, floor((H-1)/2)+1 = floor((H+1)/2); what is left
//     is reduced by the gcd of k and its coefficients;
//
//   - ceil(p/k) = floor((p+k-1)/k), so ceilings with constant divisors print
//     as floors (ceil(H/2) is floor((H+1)/2));
//
//   - min/max of expressions whose difference is constant are decided;
//
//   - a division by a single term that divides every term is exact:
//     16*N*floor((H+1)/2) / N = 16*floor((H+1)/2);
//
//   - expressions too large (more than 64 terms) become Unknown.
//
// So equal expressions compare Equal and print the same String, such as
// "floor((H+1)/2)" or "2*N*W-1". Bind and Subst replace symbols by values or
// expressions and simplify again. Symbols stand for sizes, which are never
// negative: Min, Max and Compare use that (max(H,0) is H; N+1 > 0; a size is
// never equal to -1), so that shape arithmetic with -1 placeholders resolves.
//
// # Facts
//
// A Fact says what is known of one value: its Kind (tensor, sequence,
// optional, map), element DType, Shape (meaningful when Ranked), and
// optionally its content: Value, the elements of a small integer tensor as
// dims (what Shape produces, Constant int64s, and what flows through Gather,
// Concat, Slice, Unsqueeze, arithmetic, ReduceProd, ...), so that
// Shape→Gather→Concat→Reshape chains resolve exactly; and Const, a constant
// tensor of any type (initializers, Constant nodes; float scales of Resize).
// Elem describes the elements of sequences and optionals, SeqLen (when
// HasLen) a sequence's length.
//
// After a rule has run, small outputs whose inputs all have constant content
// are folded (element-wise arithmetic, Cast, Floor, Reciprocal, ReduceMin...,
// and data movement: Identity, Reshape, Unsqueeze, Squeeze, Concat, Gather,
// Slice, Transpose, Expand, Split), floating-point ones included: a resize
// factor computed from an image size in float32 still gives exact sizes.
// Data-movement ops are folded by running their rule again on element
// indices, so a rule that propagates Value gets folding for free.
//
// # Rules
//
// Every op has a Rule (Register(domain, op, rule)); a rule sees a *Context:
// the node, its domain's opset, the input facts, typed attribute getters
// (Int, Ints, Float, Floats, Str: a bad attribute type becomes a diagnostic),
// and calls SetOutput for each output. Context.Errorf returns a Diagnostic
// that names the node, op and opset (the rule names the input and the
// shapes); Unify states that two dims must be equal (3 vs 4 is an error, a
// symbol equated to a constant is bound for the rest of the run, so a symbol
// that must be both 1 and 3 is caught); Broadcast applies numpy broadcasting;
// Fresh and FreshOut make new symbols ("NonZero_out_1"); InferSubgraph infers
// an If/Loop/Scan body with given input facts, seeing the enclosing values.
// SetConv and SetCost fill the model record.
//
// A rule in short (Register in an init function of a file of this package,
// or of another package that imports infer):
//
//	func init() { Register("", "Celu", celuRule) }
//
//	func celuRule(c *Context) error {
//		x := c.Input(0)
//		if !x.Ranked {
//			c.SetOutput(0, UnrankedTensor(x.DType))
//			return nil
//		}
//		if c.Float("alpha", 1) == 0 {
//			return c.Errorf("alpha must not be 0")
//		}
//		c.SetOutput(0, Tensor(x.DType, x.Shape))
//		return nil
//	}
//
// Rules must not keep state, must leave outputs they cannot describe unset
// (never guess a dim: unknown or a fresh symbol is right, a wrong number is
// not), and return c.Errorf only for what is inconsistent in the model. A
// rule that panics is reported as an internal error of that node.
//
// # The driver
//
// Run walks the main graph in topological order (subgraphs when their node's
// rule asks; calls of model-local functions through the function's body).
// Options.Bindings fixes symbols first ({"N": 8}); a main-graph input dim
// that has neither a value nor a dim_param becomes the symbol
// "<input>_dim<i>" (so "x_dim0" for the first dim of x), which can be bound
// the same way. Values that a
// rule cannot infer (no rule for the op) take their declared value_info type;
// declared types that contradict the inferred ones are error diagnostics and
// never overwrite them; unknown inferred dims are filled from declared ones.
// Result holds Values (every graph input, initializer, node output and graph
// output), SubValues per body, one NodeRecord per node, and Diagnostics.
//
// # The model record
//
// For Conv, ConvTranspose and the pooling ops, NodeRecord.Conv holds the
// kernel, strides, dilations, group and resolved pads: begin and end per
// spatial axis (explicit pads, or what auto_pad computes: SAME_UPPER puts the
// odd unit of padding at the end, SAME_LOWER at the beginning; OddPad says
// which). Params counts the initializer elements of the weights and bias;
// MACs counts multiply-accumulates, symbolic when the batch is:
//
//	Conv:          N * M * prod(output spatial) * (C/group) * prod(kernel)
//	ConvTranspose: N * C * prod(input spatial) * (M/group) * prod(kernel)
//	Gemm:          M * N * K (A is M×K, B is K×N)
//	MatMul:        prod(batch) * M * N * K
//
// where C is the input channel count and M the output channel count.
package infer
