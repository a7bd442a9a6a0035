// Package graph holds an ONNX model as Go values: Model, Graph, Node, typed
// attributes, value types with symbolic dims, and initializer tensors. It
// decodes and encodes the protobuf wire format (onnx.proto) itself, checking
// every length against the bytes present, resolves external data without
// letting it escape the model's folder, and validates graphs.
package graph

import "io"

// Model is a decoded ModelProto.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	// Opsets maps each imported operator-set domain to its version. The
	// default domain is "" ("ai.onnx" is folded into it).
	Opsets   map[string]int64
	Metadata []StringPair
	Graph    *Graph
	// Functions are the model-local functions (IR 8+).
	Functions []*Function

	closer io.Closer // releases a memory map, if the model was mapped
	dir    string    // folder of the model file, for external data
}

// StringPair is one key/value entry (metadata_props, external_data).
type StringPair struct{ Key, Value string }

// Opset returns the version imported for domain ("" or "ai.onnx" for the
// default domain), or 0 when the domain is not imported.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	return m.Opsets[domain]
}

// Close releases the memory backing the model's weights (a memory map, if
// one was used). Tensors of the model must not be used afterwards.
func (m *Model) Close() error {
	if m == nil || m.closer == nil {
		return nil
	}
	c := m.closer
	m.closer = nil
	return c.Close()
}

// Graph is a decoded GraphProto: a main graph or the body of If/Loop/Scan.
type Graph struct {
	Name      string
	DocString string
	Nodes     []*Node
	// Inputs are the declared inputs, including those that also have an
	// initializer (such an initializer is the input's default value).
	Inputs  []*ValueInfo
	Outputs []*ValueInfo
	// ValueInfo holds declared types of intermediate values.
	ValueInfo          []*ValueInfo
	Initializers       []*Tensor
	SparseInitializers []*SparseTensor
	// QuantAnnotations is GraphProto.quantization_annotation.
	QuantAnnotations []*TensorAnnotation
	// Metadata is GraphProto.metadata_props (IR 10).
	Metadata []StringPair
}

// TensorAnnotation is a TensorAnnotation: the quantization parameter
// tensors (scale, zero point) of one tensor.
type TensorAnnotation struct {
	TensorName string
	Params     []StringPair
}

// Initializer returns the initializer called name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// FeedInputs returns the graph inputs that have no initializer: those a
// caller must (or, for inputs with defaults, may not) feed.
func (g *Graph) FeedInputs() []*ValueInfo {
	init := make(map[string]bool, len(g.Initializers))
	for _, t := range g.Initializers {
		init[t.Name] = true
	}
	for _, s := range g.SparseInitializers {
		if s.Values != nil {
			init[s.Values.Name] = true
		}
	}
	var out []*ValueInfo
	for _, in := range g.Inputs {
		if !init[in.Name] {
			out = append(out, in)
		}
	}
	return out
}

// Node is a decoded NodeProto.
type Node struct {
	Name      string
	OpType    string
	Domain    string // "" for the default domain ("ai.onnx" is folded into it)
	Overload  string
	DocString string
	// Inputs and Outputs are value names; "" marks an omitted optional one.
	Inputs  []string
	Outputs []string
	Attrs   []*Attr
	// Metadata is NodeProto.metadata_props (IR 10).
	Metadata []StringPair
}

// ValueInfo is a named, typed value (ValueInfoProto).
type ValueInfo struct {
	Name      string
	Type      *Type // nil when the file gives no type
	DocString string
	// Metadata is ValueInfoProto.metadata_props (IR 10).
	Metadata []StringPair
}

// TypeKind says which member of TypeProto's oneof a Type is.
type TypeKind int

// Type kinds.
const (
	TypeUnknown TypeKind = iota
	TypeTensor
	TypeSequence
	TypeMap
	TypeOptional
	TypeSparseTensor
)

// Type is a decoded TypeProto.
type Type struct {
	Kind TypeKind
	// Elem is the element type of a tensor or sparse tensor.
	Elem DType
	// Shape is the tensor's dims; meaningful only when HasShape (a tensor
	// type without a shape has unknown rank).
	Shape    []Dim
	HasShape bool
	// Inner is the element type of a sequence or optional, or a map's value type.
	Inner *Type
	// Key is a map's key type.
	Key DType
	// Denotation is TypeProto.denotation.
	Denotation string
}

// Dim is one dimension of a declared shape: a number (Known), a symbolic
// name (Param, from dim_param), or unknown (neither).
type Dim struct {
	Value      int64
	Param      string
	Known      bool
	Denotation string
}

// Function is a model-local function (FunctionProto).
type Function struct {
	Name      string
	Domain    string
	Overload  string
	Inputs    []string
	Outputs   []string
	Attribute []string // attribute names without defaults
	// AttributeProto holds attributes with default values.
	AttributeProto []*Attr
	Nodes          []*Node
	Opsets         map[string]int64
	DocString      string
	ValueInfo      []*ValueInfo
	// Metadata is FunctionProto.metadata_props (IR 10).
	Metadata []StringPair
}

// SparseTensor is a decoded SparseTensorProto: Values holds the non-zero
// values (1-D), Indices their positions (an [NNZ] tensor of linear indices or
// an [NNZ, rank] tensor of coordinates), Dims the dense shape.
type SparseTensor struct {
	Values  *Tensor
	Indices *Tensor
	Dims    []int64
}
