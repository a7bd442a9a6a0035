package graph

import "fmt"

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// Attribute types, with the codes of onnx.proto.
const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensor  AttrType = 11
	AttrSparseTensors AttrType = 12
	AttrTypeProto     AttrType = 13
	AttrTypeProtos    AttrType = 14
)

var attrTypeNames = [...]string{"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS",
	"INTS", "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"}

// String returns the name onnx.proto gives the type ("INT", "FLOATS", ...).
func (t AttrType) String() string {
	if t >= 0 && int(t) < len(attrTypeNames) {
		return attrTypeNames[t]
	}
	return fmt.Sprintf("ATTR(%d)", int32(t))
}

// Attr is a decoded AttributeProto. Only the fields of its Type are set.
type Attr struct {
	Name        string
	Type        AttrType
	RefAttrName string // inside functions: the caller's attribute this one refers to
	DocString   string

	F             float32
	I             int64
	S             []byte
	T             *Tensor
	G             *Graph
	Sparse        *SparseTensor
	TP            *Type
	Floats        []float32
	Ints          []int64
	Strings       [][]byte
	Tensors       []*Tensor
	Graphs        []*Graph
	SparseTensors []*SparseTensor
	TypeProtos    []*Type
}

// Attr returns the node's attribute called name, or nil.
func (n *Node) Attr(name string) *Attr {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// HasAttr reports whether the node sets the attribute.
func (n *Node) HasAttr(name string) bool { return n.Attr(name) != nil }

func (n *Node) attrOf(name string, want AttrType) (*Attr, error) {
	a := n.Attr(name)
	if a == nil {
		return nil, nil
	}
	if a.Type != want {
		return nil, fmt.Errorf("graph: node %q (%s): attribute %q is %s, want %s", n.Name, n.OpType, name, a.Type, want)
	}
	return a, nil
}

// AttrInt returns the INT attribute name, or def when it is absent. An
// attribute of another type is an error.
func (n *Node) AttrInt(name string, def int64) (int64, error) {
	a, err := n.attrOf(name, AttrInt)
	if a == nil {
		return def, err
	}
	return a.I, nil
}

// AttrFloat returns the FLOAT attribute name, or def when it is absent.
func (n *Node) AttrFloat(name string, def float32) (float32, error) {
	a, err := n.attrOf(name, AttrFloat)
	if a == nil {
		return def, err
	}
	return a.F, nil
}

// AttrString returns the STRING attribute name, or def when it is absent.
func (n *Node) AttrString(name string, def string) (string, error) {
	a, err := n.attrOf(name, AttrString)
	if a == nil {
		return def, err
	}
	return string(a.S), nil
}

// AttrInts returns the INTS attribute name, or def when it is absent.
func (n *Node) AttrInts(name string, def []int64) ([]int64, error) {
	a, err := n.attrOf(name, AttrInts)
	if a == nil {
		return def, err
	}
	return a.Ints, nil
}

// AttrFloats returns the FLOATS attribute name, or def when it is absent.
func (n *Node) AttrFloats(name string, def []float32) ([]float32, error) {
	a, err := n.attrOf(name, AttrFloats)
	if a == nil {
		return def, err
	}
	return a.Floats, nil
}

// AttrStrings returns the STRINGS attribute name, or def when it is absent.
func (n *Node) AttrStrings(name string, def []string) ([]string, error) {
	a, err := n.attrOf(name, AttrStrings)
	if a == nil {
		return def, err
	}
	out := make([]string, len(a.Strings))
	for i, s := range a.Strings {
		out[i] = string(s)
	}
	return out, nil
}

// AttrTensor returns the TENSOR attribute name, or nil when it is absent.
func (n *Node) AttrTensor(name string) (*Tensor, error) {
	a, err := n.attrOf(name, AttrTensor)
	if a == nil {
		return nil, err
	}
	return a.T, nil
}

// AttrGraph returns the GRAPH attribute name, or nil when it is absent.
func (n *Node) AttrGraph(name string) (*Graph, error) {
	a, err := n.attrOf(name, AttrGraph)
	if a == nil {
		return nil, err
	}
	return a.G, nil
}

// Subgraphs returns every graph held by the node's GRAPH and GRAPHS attributes.
func (n *Node) Subgraphs() []*Graph {
	var gs []*Graph
	for _, a := range n.Attrs {
		if a.G != nil {
			gs = append(gs, a.G)
		}
		gs = append(gs, a.Graphs...)
	}
	return gs
}
